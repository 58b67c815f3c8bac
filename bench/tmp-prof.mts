import { runFleetBench } from './fleet.ts';
const r = await runFleetBench(Number(process.env.N ?? 3000), 'kpi');
console.log('sweep', r.sweepSeconds.toFixed(2), 's', r.modelsPerSecond.toFixed(0), '/s');
