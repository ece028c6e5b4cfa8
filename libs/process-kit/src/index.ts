export { exitOf, stopProcess, type ProcessExit } from './exit';
export { type BuiltAppOptions } from './built-app';
export {
  spawnService,
  runService,
  type ServiceSpawnOptions,
  type SpawnedService,
  type ServiceRun,
} from './service-process';
