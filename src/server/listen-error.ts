// Why a listener could not start, as one line naming the setting and the variable to change: a port in
// use, a port that needs privileges, an address this machine does not have. Anything else is returned as
// it came (an unexpected failure keeps its stack for the log).
import { LatchkeyError } from '../errors.js';

export type ListenerName = 'main' | 'device-check' | 'scep' | 'metrics';

const SETTINGS: Record<ListenerName, { port: string; portVariable?: string; host: string; hostVariable?: string }> = {
  main: { port: 'server.port', portVariable: 'LATCHKEY_PORT', host: 'server.host', hostVariable: 'LATCHKEY_HOST' },
  'device-check': {
    port: 'device_check.port',
    portVariable: 'LATCHKEY_DEVICE_CHECK_PORT',
    host: 'device_check.host',
    hostVariable: 'LATCHKEY_HOST',
  },
  scep: { port: 'scep.plain_http.port', host: 'scep.plain_http.host' },
  metrics: { port: 'metrics.port', portVariable: 'LATCHKEY_METRICS_PORT', host: 'metrics.host' },
};

/** The listen() failure of a listener on host:port, translated when the operator can fix it by a setting. */
export function listenFailure(error: unknown, listener: ListenerName, port: number, host: string): unknown {
  const s = SETTINGS[listener];
  const portSetting = s.portVariable ? `${s.port} or ${s.portVariable}` : s.port;
  const hostSetting = s.hostVariable ? `${s.host} or ${s.hostVariable}` : s.host;
  const what = {
    main: 'the main listener',
    'device-check': 'the device-check listener',
    scep: 'the plain-HTTP SCEP listener',
    metrics: 'the metrics listener',
  }[listener];
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new LatchkeyError(
        'ERR_PORT_IN_USE',
        `port ${port} on ${host} (${s.port}) is already in use by another process: stop it, or give ${what} ` +
          `another port with ${portSetting}`,
        { cause: error },
      );
    case 'EACCES':
      return new LatchkeyError(
        'ERR_PORT_FORBIDDEN',
        `not allowed to listen on port ${port} (${s.port}): ports below 1024 need privileges; use a port ` +
          `above 1023 with ${portSetting} (and map it in the container or load balancer), ` +
          'or grant the process CAP_NET_BIND_SERVICE',
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new LatchkeyError(
        'ERR_HOST_UNAVAILABLE',
        `cannot listen on ${host} (${s.host}): it is not an address of this machine; set ${hostSetting} ` +
          'to one of its addresses, or 0.0.0.0 for all',
        { cause: error },
      );
    default:
      return error;
  }
}
