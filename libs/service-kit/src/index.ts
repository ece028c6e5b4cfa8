export {
  createServiceApp,
  finishApp,
  metricsHandler,
  toErrorResponse,
  type ServiceAppOptions,
  type ReadinessCheck,
  type ErrorBody,
} from './http-app';
export { listen, boundPort, closeServer, type ListenTarget } from './server';
export { installShutdown, type ShutdownOptions, type ShutdownSteps } from './shutdown';
export { connectRedis, closeRedis, checkRedisSetup, agreePartitions, type ConnectRedisOptions } from './redis-health';
export { runService, EXIT_CONFIG, type RunningService, type RunServiceOptions } from './run-service';
export { StreamLoop, type StreamLoopOptions } from './stream-loop';
