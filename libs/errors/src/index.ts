export { MeshError, ConfigError, ValidationError, UnavailableError, NotFoundError, isMeshError } from './mesh-error';
