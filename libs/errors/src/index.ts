export {
  MeshError,
  ConfigError,
  ValidationError,
  MetricLabelError,
  UnavailableError,
  NotFoundError,
  isMeshError,
} from './mesh-error';
