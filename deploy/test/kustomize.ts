// A small kustomize renderer for the features deploy/k8s uses, so the manifests can be rendered and checked on a
// machine without the kustomize binary: resources (files and directories), components, namespace, labels (pairs,
// includeTemplates), images, replicas, and patches given by path (strategic merge, with `$patch: delete`). Any other
// kustomization field is refused, so a manifest change that needs more cannot pass unchecked.
//
// Strategic merge here: maps merge recursively, null deletes a key, lists whose items all carry `name` merge by name
// (containers, env, volumes, ports by name), other lists are replaced. That is kustomize's behaviour for every list
// the overlays patch (and JSON merge patch for the KEDA custom resource, which merges maps the same way).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonMap = { [k: string]: Json };

const SUPPORTED = new Set([
  "apiVersion",
  "kind",
  "namespace",
  "resources",
  "components",
  "images",
  "replicas",
  "patches",
  "labels",
]);

/** Kinds that are not namespaced (the namespace transformer leaves them alone). */
const CLUSTER_KINDS = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass"]);

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

export class KustomizeError extends Error {
  override readonly name = "KustomizeError";
}

const isMap = (v: unknown): v is JsonMap => typeof v === "object" && v !== null && !Array.isArray(v);

export function readYamlDocs(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const out: K8sObject[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new KustomizeError(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
    const v = d.toJS() as unknown;
    if (v === null || v === undefined) continue;
    if (!isMap(v) || typeof v.kind !== "string" || typeof v.apiVersion !== "string" || !isMap(v.metadata))
      throw new KustomizeError(`${file}: a document without apiVersion, kind and metadata`);
    out.push(v as unknown as K8sObject);
  }
  return out;
}

const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
const idOf = (o: K8sObject) => `${group(o.apiVersion)}/${o.kind}/${o.metadata.name}`;

/** Strategic merge of `patch` into `target` (a new value; the inputs are not changed). */
export function strategicMerge(target: Json, patch: Json): Json {
  if (!isMap(patch)) return structuredClone(patch);
  const out: JsonMap = isMap(target) ? structuredClone(target) : {};
  for (const [k, pv] of Object.entries(patch)) {
    if (k === "$patch") continue;
    if (pv === null) {
      delete out[k];
      continue;
    }
    const tv = out[k];
    if (Array.isArray(pv) && Array.isArray(tv) && byName(pv) && byName(tv)) {
      const merged = tv.map((x) => structuredClone(x));
      for (const item of pv as JsonMap[]) {
        const i = (merged as JsonMap[]).findIndex((x) => x.name === item.name);
        if (item.$patch === "delete") {
          if (i >= 0) merged.splice(i, 1);
        } else if (i >= 0) merged[i] = strategicMerge(merged[i] as Json, item);
        else merged.push(structuredClone(item));
      }
      out[k] = merged;
    } else if (isMap(pv) && isMap(tv)) out[k] = strategicMerge(tv, pv);
    else out[k] = structuredClone(pv);
  }
  return out;
}

const byName = (list: Json[]) => list.length > 0 && list.every((x) => isMap(x) && typeof x.name === "string");

/** The pod specs of a workload (Deployment, StatefulSet, Job ...). */
export function podSpecOf(o: K8sObject): JsonMap | undefined {
  if (!WORKLOADS.has(o.kind)) return undefined;
  const spec = o.spec as JsonMap | undefined;
  const template = spec?.template as JsonMap | undefined;
  return template?.spec as JsonMap | undefined;
}

export function containersOf(o: K8sObject): JsonMap[] {
  const pod = podSpecOf(o);
  if (!pod) return [];
  return [...((pod.initContainers as JsonMap[] | undefined) ?? []), ...((pod.containers as JsonMap[] | undefined) ?? [])];
}

/** `repo/name:tag@digest` -> `repo/name` */
export const imageName = (image: string) => image.replace(/@.*$/, "").replace(/:[^/:]*$/, "");

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Renders a kustomization directory (a Kustomization) into its objects. */
export function render(dir: string): K8sObject[] {
  return apply(resolve(dir), [], "Kustomization");
}

function loadKustomization(dir: string, kind: "Kustomization" | "Component"): JsonMap {
  const file = join(dir, "kustomization.yaml");
  if (!existsSync(file)) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const [doc] = parseAllDocuments(readFileSync(file, "utf8"));
  const k = doc?.toJS() as unknown;
  if (!isMap(k)) throw new KustomizeError(`${file}: not a map`);
  if ((k.kind ?? "Kustomization") !== kind) throw new KustomizeError(`${file}: expected kind ${kind}, found ${String(k.kind)}`);
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new KustomizeError(`${file}: field "${key}" is not supported by this renderer`);
  }
  return k;
}

function apply(dir: string, inherited: K8sObject[], kind: "Kustomization" | "Component"): K8sObject[] {
  const k = loadKustomization(dir, kind);
  let acc = [...inherited];
  const add = (objs: K8sObject[]) => {
    for (const o of objs) {
      if (acc.some((x) => idOf(x) === idOf(o))) throw new KustomizeError(`${dir}: ${idOf(o)} defined twice`);
      acc.push(o);
    }
  };
  for (const r of (k.resources as string[] | undefined) ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new KustomizeError(`${dir}: resource ${r} not found`);
    add(statSync(p).isDirectory() ? apply(p, [], "Kustomization") : readYamlDocs(p));
  }
  for (const c of (k.components as string[] | undefined) ?? []) acc = apply(resolve(dir, c), acc, "Component");

  for (const p of (k.patches as { path?: string; target?: unknown }[] | undefined) ?? []) {
    if (!p.path || p.target !== undefined) throw new KustomizeError(`${dir}: only patches given by path are supported`);
    for (const patch of readYamlDocs(resolve(dir, p.path))) {
      const i = acc.findIndex((x) => idOf(x) === idOf(patch));
      if (i < 0) throw new KustomizeError(`${dir}: patch ${p.path} targets ${idOf(patch)}, which does not exist`);
      if ((patch as unknown as JsonMap).$patch === "delete") acc.splice(i, 1);
      else acc[i] = strategicMerge(acc[i] as unknown as Json, patch as unknown as Json) as unknown as K8sObject;
    }
  }
  for (const r of (k.replicas as { name: string; count: number }[] | undefined) ?? []) {
    const target = acc.find((x) => x.metadata.name === r.name && ["Deployment", "StatefulSet", "ReplicaSet"].includes(x.kind));
    if (!target) throw new KustomizeError(`${dir}: replicas for ${r.name}, which is no Deployment or StatefulSet`);
    (target.spec as JsonMap).replicas = r.count;
  }
  const images = (k.images as ImageRule[] | undefined) ?? [];
  for (const rule of images) {
    let used = false;
    for (const o of acc) {
      for (const c of containersOf(o)) {
        const image = c.image as string;
        if (imageName(image) !== rule.name) continue;
        used = true;
        const tag = image.replace(/@.*$/, "").match(/:([^/:]*)$/)?.[1];
        const name = rule.newName ?? rule.name;
        c.image = rule.digest ? `${name}@${rule.digest}` : `${name}${rule.newTag ? `:${rule.newTag}` : tag ? `:${tag}` : ""}`;
      }
    }
    if (!used) throw new KustomizeError(`${dir}: image rule for ${rule.name}, which no container uses`);
  }
  for (const l of (k.labels as
    | { pairs: Record<string, string>; includeTemplates?: boolean; includeSelectors?: boolean }[]
    | undefined) ?? []) {
    if (l.includeSelectors) throw new KustomizeError(`${dir}: labels.includeSelectors is not supported`);
    for (const o of acc) {
      o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      if (l.includeTemplates && WORKLOADS.has(o.kind)) {
        const t = (o.spec as JsonMap).template as JsonMap;
        const meta = (t.metadata ?? {}) as JsonMap;
        meta.labels = { ...((meta.labels as JsonMap | undefined) ?? {}), ...l.pairs };
        t.metadata = meta;
      }
    }
  }
  if (typeof k.namespace === "string") {
    for (const o of acc) if (!CLUSTER_KINDS.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  return acc;
}
