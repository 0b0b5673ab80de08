/** The shared storage suite on a real InfluxDB 1.x (Debian influxd, temp dir, free ports). */
import { afterAll, beforeAll } from 'vitest';
import { startInfluxd, type Influxd } from '../support/influxd.js';
import { storeSuite } from './store-suite.js';

let influxd: Influxd;
let n = 0;
beforeAll(async () => { influxd = await startInfluxd(); });
afterAll(async () => { await influxd?.stop(); });

storeSuite('influxdb', { config: () => ({ kind: 'influxdb', url: influxd.url, database: `suite_${++n}` }) });
