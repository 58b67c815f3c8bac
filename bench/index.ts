// `npm run bench`: every benchmark of the product, printed as tables. Select with arguments:
// `npm run bench -- drift`, `-- dataset`, `-- fleet`, `-- trainer`, `-- kpi`, `-- startup` (default: all). KAIZEN_BENCH_MODELS sizes the fleet.
import { runDatasetBench } from './dataset.ts';
import { runDriftBench } from './drift.ts';
import { runFleetBenches } from './fleet.ts';
import { runKpiBench } from './kpi.ts';
import { runStartupBench } from './startup.ts';
import { runTrainerBench } from './trainer.ts';

const benches: Record<string, () => Promise<void>> = {
  drift: runDriftBench,
  dataset: async () => {
    await runDatasetBench();
  },
  fleet: async () => {
    await runFleetBenches();
  },
  trainer: runTrainerBench,
  kpi: runKpiBench,
  startup: runStartupBench,
};

const selected = process.argv.slice(2);
for (const name of selected.length > 0 ? selected : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown bench "${name}"; choose from ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name} ===`);
  await bench();
}
