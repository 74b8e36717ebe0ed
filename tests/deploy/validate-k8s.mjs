// Validates a Kubernetes manifest (deploy/k8s.yaml) in two ways, and exits non-zero on any fault:
//  1. the schema: each document through kubernetes-models' class for its apiVersion and kind
//     (JSON schemas generated from Kubernetes' OpenAPI spec, checked with ajv): types, required
//     fields, enums. A kind it does not know is a fault, not a pass.
//  2. the policy tests/deploy/run.sh runs the container with, which the schema cannot express (it
//     allows every field to be missing): probes on /readyz and /healthz, CPU and memory requests
//     and limits, non-root, no privilege escalation, a read-only root filesystem, every capability
//     dropped; and that the Service and the autoscaler point at the Deployment that exists.
//
//   node tests/deploy/validate-k8s.mjs deploy/k8s.yaml
import fs from 'node:fs';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

const kinds = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/deploy/validate-k8s.mjs MANIFEST.yaml');
  process.exit(2);
}
const faults = [];
const fault = (where, what) => faults.push(`${where}: ${what}`);

const parsed = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
const docs = [];
for (const d of parsed) {
  if (d.errors.length) fault(file, `not YAML: ${d.errors[0].message}`);
  else if (d.contents !== null) docs.push(d.toJS());
}

for (const doc of docs) {
  const id = `${doc.kind}/${doc.metadata?.name ?? '?'}`;
  const Model = kinds[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) {
    fault(id, `apiVersion ${doc.apiVersion} kind ${doc.kind} is not one this validator knows`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    fault(id, `schema: ${e.message}`);
  }
}

const deployments = docs.filter((d) => d.kind === 'Deployment');
if (deployments.length === 0) fault(file, 'no Deployment');
for (const dep of deployments) {
  const id = `Deployment/${dep.metadata?.name}`;
  const pod = dep.spec?.template?.spec ?? {};
  const podSec = pod.securityContext ?? {};
  const labels = dep.spec?.template?.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(dep.spec?.selector?.matchLabels ?? {}))
    if (labels[k] !== v) fault(id, `selector ${k}=${v} does not match the pod template's labels`);
  for (const c of pod.containers ?? []) {
    const where = `${id} container ${c.name}`;
    const probe = (p, path) => {
      if (!c[p]) return fault(where, `no ${p}`);
      if (c[p].httpGet?.path !== path) fault(where, `${p} should GET ${path}`);
      const port = c[p].httpGet?.port;
      if (typeof port === 'string' && !(c.ports ?? []).some((cp) => cp.name === port))
        fault(where, `${p} names port '${port}', which the container does not declare`);
    };
    probe('readinessProbe', '/readyz');
    probe('livenessProbe', '/healthz');
    for (const kind of ['requests', 'limits'])
      for (const r of ['cpu', 'memory'])
        if (c.resources?.[kind]?.[r] === undefined) fault(where, `no resources.${kind}.${r}`);
    const sec = c.securityContext ?? {};
    if ((sec.runAsNonRoot ?? podSec.runAsNonRoot) !== true) fault(where, 'runAsNonRoot is not true');
    const uid = sec.runAsUser ?? podSec.runAsUser;
    if (uid === 0) fault(where, 'runAsUser is 0');
    if (sec.allowPrivilegeEscalation !== false) fault(where, 'allowPrivilegeEscalation is not false');
    if (sec.readOnlyRootFilesystem !== true) fault(where, 'readOnlyRootFilesystem is not true');
    if (!(sec.capabilities?.drop ?? []).includes('ALL')) fault(where, 'capabilities do not drop ALL');
    if ((sec.capabilities?.add ?? []).length) fault(where, `capabilities add ${sec.capabilities.add}`);
  }
}

for (const svc of docs.filter((d) => d.kind === 'Service')) {
  const id = `Service/${svc.metadata?.name}`;
  const sel = svc.spec?.selector ?? {};
  const target = deployments.find((dep) =>
    Object.entries(sel).every(([k, v]) => dep.spec?.template?.metadata?.labels?.[k] === v));
  if (!target) {
    fault(id, 'its selector matches no Deployment');
    continue;
  }
  const ports = (target.spec.template.spec.containers ?? []).flatMap((c) => c.ports ?? []);
  for (const p of svc.spec?.ports ?? [])
    if (typeof p.targetPort === 'string' && !ports.some((cp) => cp.name === p.targetPort))
      fault(id, `targetPort '${p.targetPort}' is not a port of the Deployment's containers`);
}

for (const hpa of docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')) {
  const ref = hpa.spec?.scaleTargetRef ?? {};
  if (!deployments.some((dep) => ref.kind === 'Deployment' && dep.metadata?.name === ref.name))
    fault(`HorizontalPodAutoscaler/${hpa.metadata?.name}`, `scaleTargetRef ${ref.kind}/${ref.name} is not in the manifest`);
}

if (faults.length) {
  for (const f of faults) console.error(`validate-k8s: ${f}`);
  process.exit(1);
}
console.log(`validate-k8s: ${file}: ${docs.map((d) => d.kind).join(', ')} valid (schema and policy)`);
