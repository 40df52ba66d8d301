/** Syslog facilities and severities, with the numeric codes of RFC 5424 §6.2.1. */

/** Facility names as rsyslog and syslog.conf spell them, and their codes. */
export const Facility = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** A facility name. */
export type FacilityName = keyof typeof Facility;

/** Severities, most severe first. */
export const Severity = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

/** A severity code (0 = emergency … 7 = debug). */
export type SeverityCode = (typeof Severity)[keyof typeof Severity];
