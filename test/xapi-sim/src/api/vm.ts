import { XapiFailure } from '../model/xapi-failure.js';
import { boolArg, refArg, stringArg } from './args.js';
import type { MethodGroup } from './method-table.js';
import { migrateVm, setPowerState, shutdownVm, startVm } from './vm-power.js';
import { badPowerState, type PowerState } from './vm-record.js';
import { checkpointVm, cloneVm, destroyVm, snapshotVm } from './vm-snapshot.js';

const done = '';

/** `VM.*` messages. */
export const vmMethods: MethodGroup = {
  'VM.snapshot': {
    params: ['vm', 'new_name', 'ignore_vdis'],
    optional: 1,
    run: (ctx, args) => {
      // `ignore_vdis` exists since xapi 21.4; older hosts count parameters strictly.
      if (args.length === 3 && !ctx.pool.behaviour.snapshotIgnoreVdis) {
        throw new XapiFailure('MESSAGE_PARAMETER_COUNT_MISMATCH', ['VM.snapshot', '3', '4']);
      }
      const ignore = Array.isArray(args[2]) ? args[2].map((v) => refArg(ctx.pool, 'VDI', v)) : [];
      return snapshotVm(ctx.pool, refArg(ctx.pool, 'VM', args[0]), stringArg(args[1], 'new_name'), ignore);
    },
  },
  'VM.checkpoint': {
    params: ['vm', 'new_name'],
    run: (ctx, [vm, name]) => checkpointVm(ctx.pool, refArg(ctx.pool, 'VM', vm), stringArg(name, 'new_name')),
  },
  'VM.snapshot_with_quiesce': {
    params: ['vm', 'new_name'],
    run: (ctx, [vm, name]) => {
      const ref = refArg(ctx.pool, 'VM', vm);
      const behaviour = ctx.pool.behaviour.quiesce;
      // Citrix Hypervisor 8.1 removed the call; older hosts fail in several ways.
      if (behaviour === 'MESSAGE_REMOVED') throw new XapiFailure('MESSAGE_REMOVED', []);
      if (behaviour !== 'supported') throw new XapiFailure(behaviour, [ref]);
      const state = ctx.pool.db.get('VM', ref)['power_state'] as PowerState;
      if (state !== 'Running') throw badPowerState(ref, 'Running', state);
      return snapshotVm(ctx.pool, ref, stringArg(name, 'new_name'));
    },
  },
  'VM.start': {
    params: ['vm', 'start_paused', 'force'],
    run: (ctx, [vm, paused]) => {
      startVm(ctx.pool, refArg(ctx.pool, 'VM', vm), boolArg(paused, 'start_paused'));
      return done;
    },
  },
  'VM.start_on': {
    params: ['vm', 'host', 'start_paused', 'force'],
    run: (ctx, [vm, host, paused]) => {
      startVm(ctx.pool, refArg(ctx.pool, 'VM', vm), boolArg(paused, 'start_paused'), refArg(ctx.pool, 'host', host));
      return done;
    },
  },
  'VM.clean_shutdown': {
    params: ['vm'],
    run: (ctx, [vm]) => {
      shutdownVm(ctx.pool, refArg(ctx.pool, 'VM', vm), false);
      return done;
    },
  },
  'VM.hard_shutdown': {
    params: ['vm'],
    run: (ctx, [vm]) => {
      shutdownVm(ctx.pool, refArg(ctx.pool, 'VM', vm), true);
      return done;
    },
  },
  'VM.shutdown': {
    params: ['vm'],
    run: (ctx, [vm]) => {
      shutdownVm(ctx.pool, refArg(ctx.pool, 'VM', vm), false);
      return done;
    },
  },
  'VM.suspend': {
    params: ['vm'],
    run: (ctx, [vm]) => {
      const ref = refArg(ctx.pool, 'VM', vm);
      const state = ctx.pool.db.get('VM', ref)['power_state'] as PowerState;
      if (state !== 'Running') throw badPowerState(ref, 'Running', state);
      setPowerState(ctx.pool, ref, 'Suspended');
      return done;
    },
  },
  'VM.resume': {
    params: ['vm', 'start_paused', 'force'],
    run: (ctx, [vm, paused]) => {
      const ref = refArg(ctx.pool, 'VM', vm);
      const state = ctx.pool.db.get('VM', ref)['power_state'] as PowerState;
      if (state !== 'Suspended') throw badPowerState(ref, 'Suspended', state);
      setPowerState(ctx.pool, ref, boolArg(paused, 'start_paused') ? 'Paused' : 'Running', ctx.pool.masterRef);
      return done;
    },
  },
  'VM.destroy': {
    params: ['self'],
    run: (ctx, [self]) => {
      destroyVm(ctx.pool, refArg(ctx.pool, 'VM', self));
      return done;
    },
  },
  'VM.clone': {
    params: ['vm', 'new_name'],
    run: (ctx, [vm, name]) => cloneVm(ctx.pool, refArg(ctx.pool, 'VM', vm), stringArg(name, 'new_name')),
  },
  'VM.provision': {
    params: ['vm'],
    run: (ctx, [vm]) => {
      refArg(ctx.pool, 'VM', vm);
      return done;
    },
  },
  'VM.pool_migrate': {
    params: ['vm', 'host', 'options'],
    run: (ctx, [vm, host]) => {
      migrateVm(ctx.pool, refArg(ctx.pool, 'VM', vm), refArg(ctx.pool, 'host', host));
      return done;
    },
  },
};
