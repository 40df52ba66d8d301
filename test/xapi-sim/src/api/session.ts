import { XapiFailure } from '../model/xapi-failure.js';
import { stringArg } from './args.js';
import type { MethodGroup } from './method-table.js';

/** `session.*` messages. */
export const sessionMethods: MethodGroup = {
  'session.login_with_password': {
    params: ['uname', 'pwd', 'version', 'originator'],
    optional: 2,
    sessionless: true,
    run: (ctx, [uname, pwd, , originator]) => {
      const user = stringArg(uname, 'uname');
      const { username, password } = ctx.pool.credentials;
      if (user !== username || stringArg(pwd, 'pwd') !== password) {
        throw new XapiFailure('SESSION_AUTHENTICATION_FAILED', [user, 'Authentication failure']);
      }
      return ctx.pool.openSession(user, ctx.hostRef, typeof originator === 'string' ? originator : '').ref;
    },
  },
  'session.logout': {
    params: [],
    run: (ctx) => {
      if (ctx.session !== undefined) ctx.pool.sessions.delete(ctx.session.ref);
      return '';
    },
  },
  'session.get_this_host': {
    params: ['self'],
    run: (ctx, [self]) => ctx.pool.requireSession(self).hostRef,
  },
  'session.get_uuid': {
    params: ['self'],
    run: (ctx, [self]) => ctx.pool.requireSession(self).uuid,
  },
  'session.get_this_user': {
    params: ['self'],
    run: () => 'OpaqueRef:NULL',
  },
  'session.get_originator': {
    params: ['self'],
    run: (ctx, [self]) => ctx.pool.requireSession(self).originator,
  },
};
