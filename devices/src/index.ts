export * from './iscsi/iscsi-transport.js';
export * from './scsi/spc.js';
export * from './scsi/ssc.js';
export * from './scsi/smc.js';
export * from './scsi/sense.js';
export * from './scsi/request.js';
