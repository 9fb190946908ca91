// deploy/k8s checked without a cluster: the base and both overlays rendered (deploy/test/kustomize.ts), every object
// validated against the Kubernetes API schemas (kubernetes-models), the KEDA ScaledObject against a schema of the
// fields it uses, and the cross-references a typo would break: images, ConfigMaps, Secrets, ServiceAccounts, Service
// selectors, probe ports, settings each service actually reads, the camera lists, and the network paths.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_HEALTH_PORTS, commonConfigShape } from "@persona/bus";
import { CONSUMERS, STREAMS } from "@persona/contracts";
import { parse } from "yaml";
import { z } from "zod";
import { configSchema as bot } from "../../services/bot/src/config.ts";
import { CameraListSchema, configSchema as camera } from "../../services/camera/src/config.ts";
import { configSchema as cleaner } from "../../services/cleaner/src/config.ts";
import { configSchema as greeter } from "../../services/greeter/src/config.ts";
import { configSchema as portal } from "../../services/portal/src/config.ts";
import { configSchema as recognizer } from "../../services/recognizer/src/config.ts";
import { configSchema as trainer } from "../../services/trainer/src/config.ts";
import { type K8sObject, containersOf, imageName, podSpecOf, render } from "./kustomize.ts";
import { modelDeclaration, unknownFields } from "./strictFields.ts";

const K8S = new URL("../k8s/", import.meta.url).pathname;
const VARIANTS = ["base", "overlays/single-site", "overlays/multi-site"] as const;
const rendered = Object.fromEntries(VARIANTS.map((v) => [v, render(join(K8S, v))])) as Record<
  (typeof VARIANTS)[number],
  K8sObject[]
>;
const base = rendered.base;

const SERVICES = { camera, recognizer, trainer, portal, greeter, cleaner, bot } as const;
type Service = keyof typeof SERVICES;
const SERVICE_NAMES = Object.keys(SERVICES) as Service[];
/** Read from the environment outside the services' schemas (packages/store open.ts, packages/vision models.ts). */
const OUTSIDE_SCHEMAS = new Set(["MONGODB_DATABASE", "MONGODB_WRITE_CONCERN", "PERSONA_MODELS_DIR"]);
/** Services that open the document store (MongoDB); camera and recognizer work on NATS alone. */
const STORE_USERS = new Set<Service>(["portal", "trainer", "greeter", "cleaner", "bot"]);

const requiredSecrets = (
  parse(readFileSync(join(K8S, "base/required-secrets.yaml"), "utf8")) as { secrets: { name: string; keys: string[] }[] }
).secrets;

type AnyMap = Record<string, unknown>;
const m = (v: unknown) => (v ?? {}) as AnyMap;
const list = (v: unknown) => (v ?? []) as AnyMap[];
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objs: K8sObject[]) => objs.filter((o) => podSpecOf(o));
const serviceOf = (o: K8sObject): Service | undefined =>
  SERVICE_NAMES.find((s) => containersOf(o).some((c) => imageName(String(c.image)).endsWith(`/${s}`)));

/** A model class from kubernetes-models for apiVersion + kind, or undefined. */
async function modelFor(o: K8sObject): Promise<(new (d: unknown) => { validate(): void }) | undefined> {
  const [g, v] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  const path = g ? `kubernetes-models/${g}/${v}/${o.kind}` : `kubernetes-models/${v}/${o.kind}`;
  try {
    const mod = (await import(path)) as Record<string, new (d: unknown) => { validate(): void }>;
    return mod[o.kind];
  } catch {
    return undefined;
  }
}

/** The KEDA ScaledObject fields deploy/k8s uses (keda.sh/v1alpha1; the CRD is not in kubernetes-models). */
const ScaledObject = z.strictObject({
  apiVersion: z.literal("keda.sh/v1alpha1"),
  kind: z.literal("ScaledObject"),
  metadata: z.object({ name: z.string(), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({ apiVersion: z.string().optional(), kind: z.string().optional(), name: z.string() }),
    minReplicaCount: z.number().int().min(0),
    maxReplicaCount: z.number().int().min(1),
    pollingInterval: z.number().int().positive().optional(),
    cooldownPeriod: z.number().int().positive().optional(),
    triggers: z
      .array(
        z.discriminatedUnion("type", [
          z.strictObject({
            type: z.literal("nats-jetstream"),
            metadata: z.strictObject({
              natsServerMonitoringEndpoint: z.string().regex(/^[a-z0-9.-]+:\d+$/),
              account: z.string(),
              stream: z.string(),
              consumer: z.string(),
              lagThreshold: z.string().regex(/^\d+$/),
              activationLagThreshold: z.string().regex(/^\d+$/).optional(),
              useHttps: z.enum(["true", "false"]).optional(),
            }),
          }),
          z.strictObject({
            type: z.literal("cpu"),
            metricType: z.enum(["Utilization", "AverageValue"]),
            metadata: z.strictObject({ value: z.string().regex(/^\d+$/) }),
          }),
        ]),
      )
      .min(1),
  }),
});

for (const variant of VARIANTS) {
  const objs = rendered[variant];
  describe(`deploy/k8s/${variant}`, () => {
    test("every object validates against the Kubernetes API schema (kubernetes-models) or the KEDA schema", async () => {
      let checked = 0;
      for (const o of objs) {
        if (o.kind === "ScaledObject") {
          const so = ScaledObject.parse(o);
          for (const t of so.spec.triggers) {
            if (t.type !== "nats-jetstream") continue;
            assert.ok(
              CONSUMERS.some((c) => c.stream === t.metadata.stream && c.durable === t.metadata.consumer),
              `KEDA scales on ${t.metadata.stream}/${t.metadata.consumer}, which the topology declares`,
            );
            assert.ok(STREAMS.some((s) => s.name === t.metadata.stream && s.retention === "workqueue"));
          }
          assert.ok(so.spec.minReplicaCount <= so.spec.maxReplicaCount);
          checked++;
          continue;
        }
        const Model = await modelFor(o);
        assert.ok(Model, `no Kubernetes model for ${o.apiVersion} ${o.kind} (${o.metadata.name})`);
        try {
          new Model(o).validate();
        } catch (err) {
          assert.fail(`${o.kind}/${o.metadata.name}: ${(err as Error).message}`);
        }
        // the schemas allow unknown fields: a typo (readinesProbe) must still fail
        const declaration = modelDeclaration(o.apiVersion, o.kind);
        assert.ok(declaration, `${o.kind} has a declaration`);
        assert.deepEqual(unknownFields(o, declaration), [], `${o.kind}/${o.metadata.name}: fields the API does not know`);
        checked++;
      }
      assert.equal(checked, objs.length);
    });

    test("names are DNS labels, one object per kind and name, everything in one namespace", () => {
      const ids = new Set<string>();
      for (const o of objs) {
        assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${o.kind} ${o.metadata.name}`);
        const id = `${o.kind}/${o.metadata.name}`;
        assert.ok(!ids.has(id), `${id} twice`);
        ids.add(id);
        if (variant !== "base" && o.kind !== "Namespace") assert.equal(o.metadata.namespace, "persona", id);
      }
    });

    test("no Secret is committed and no secret-looking setting carries a literal value", () => {
      assert.deepEqual(
        objs.filter((o) => o.kind === "Secret").map((o) => o.metadata.name),
        [],
      );
      const secretish = /(PASSWORD|TOKEN|SECRET|KEY|CREDENTIAL)/i;
      for (const o of objs) {
        if (o.kind === "ConfigMap") {
          for (const k of Object.keys(m(o.data))) assert.doesNotMatch(k, secretish, `ConfigMap ${o.metadata.name} key ${k}`);
          for (const v of Object.values(m(o.data)))
            assert.doesNotMatch(String(v), /:\/\/[^/@\s]*:[^@/\s]+@/, "no password in a URL");
        }
        for (const c of containersOf(o)) {
          for (const e of list(c.env)) {
            if (secretish.test(String(e.name)) || e.name === "STORE_URL")
              assert.ok(m(e.valueFrom).secretKeyRef, `${o.metadata.name}: ${String(e.name)} comes from a Secret`);
          }
        }
      }
    });

    test("every workload: pinned image, non-root, no privilege escalation, read-only root, resources, probes on its health port", () => {
      for (const o of workloads(objs)) {
        const pod = podSpecOf(o)!;
        const psc = m(pod.securityContext);
        assert.equal(psc.runAsNonRoot, true, `${o.metadata.name} runs as non-root`);
        assert.ok(Number(psc.runAsUser) > 0, `${o.metadata.name} runAsUser`);
        assert.equal(m(psc.seccompProfile).type, "RuntimeDefault");
        assert.equal(pod.automountServiceAccountToken, false, `${o.metadata.name} mounts no API token`);
        assert.ok(typeof pod.serviceAccountName === "string", `${o.metadata.name} has its own ServiceAccount`);
        for (const c of containersOf(o)) {
          const image = String(c.image);
          assert.match(image, /:(\d+\.\d+\.\d+[-\w.]*)$|@sha256:[0-9a-f]{64}$/, `${o.metadata.name}: ${image} is pinned`);
          const sc = m(c.securityContext);
          assert.equal(sc.allowPrivilegeEscalation, false, `${o.metadata.name}/${String(c.name)}`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${o.metadata.name}/${String(c.name)}`);
          assert.deepEqual(m(sc.capabilities).drop, ["ALL"]);
          const res = m(c.resources);
          assert.ok(m(res.requests).cpu && m(res.requests).memory, `${o.metadata.name}/${String(c.name)} requests`);
          assert.ok(m(res.limits).memory, `${o.metadata.name}/${String(c.name)} memory limit`);
        }
        const svc = serviceOf(o);
        if (!svc) continue;
        const [c] = list(pod.containers);
        const port = list(c?.ports).find((p) => p.name === "health");
        assert.equal(port?.containerPort, DEFAULT_HEALTH_PORTS[svc], `${svc} health port`);
        const probe = (p: unknown) => m(m(p).httpGet);
        assert.deepEqual([probe(c?.livenessProbe).path, probe(c?.livenessProbe).port], ["/healthz", "health"], `${svc} liveness`);
        assert.deepEqual(
          [probe(c?.readinessProbe).path, probe(c?.readinessProbe).port],
          ["/readyz", "health"],
          `${svc} readiness`,
        );
        assert.equal(probe(c?.startupProbe).path, "/healthz", `${svc} startup probe`);
      }
    });

    test("each service's settings are ones it reads, with values its config schema accepts", () => {
      const cm = (name: string) => m(find(objs, "ConfigMap", name)?.data) as Record<string, string>;
      for (const o of workloads(objs)) {
        const svc = serviceOf(o);
        if (!svc) continue;
        const [c] = list(podSpecOf(o)!.containers);
        const env: Record<string, string> = {};
        for (const ef of list(c?.envFrom)) Object.assign(env, cm(String(m(ef.configMapRef).name)));
        for (const e of list(c?.env)) env[String(e.name)] = e.value !== undefined ? String(e.value) : "from-secret";
        // dependent variables as the kubelet expands them (POD_NAME: a StatefulSet pod's name)
        const sample: Record<string, string> = { POD_NAME: `${svc}-0` };
        for (const [k, v] of Object.entries(env))
          env[k] = v.replace(/\$\(([A-Z_]+)\)/g, (ref, name: string) => sample[name] ?? env[name] ?? ref);
        const own = SERVICES[svc] as unknown as z.ZodObject;
        const known = new Set([
          ...Object.keys(own.shape),
          ...Object.keys(commonConfigShape(svc)),
          ...OUTSIDE_SCHEMAS,
          "POD_NAME",
        ]);
        for (const k of Object.keys(env)) assert.ok(known.has(k), `${svc} does not read ${k}`);
        const common = z.object(commonConfigShape(svc)).parse(env);
        assert.equal(common.HEALTH_HOST, "0.0.0.0", `${svc} health endpoints reachable by probes`);
        assert.equal(common.NATS_REPLICAS, 3);
        assert.equal(common.NATS_URL.split(",").length, m(find(objs, "StatefulSet", "nats")?.spec).replicas);
        const values = Object.fromEntries(
          Object.entries(env).filter(
            ([k]) => k in own.shape && k !== "CAMERAS_FILE" && k !== "STORE_URL" && !/TOKEN|PASSWORD/.test(k),
          ),
        );
        own.parse(values);
        assert.equal("STORE_URL" in env, STORE_USERS.has(svc), `${svc} gets STORE_URL only if it uses the store`);
      }
    });

    test("the portal behind the TLS Ingress: Secure session cookies, the client address from one proxy hop", () => {
      const portal = workloads(objs).find((o) => serviceOf(o) === "portal");
      assert.ok(portal);
      const [c] = list(podSpecOf(portal)!.containers);
      const env: Record<string, string> = {};
      for (const ef of list(c?.envFrom)) {
        Object.assign(env, m(find(objs, "ConfigMap", String(m(ef.configMapRef).name))?.data) as Record<string, string>);
      }
      const cfg = (SERVICES.portal as unknown as z.ZodObject).parse(
        Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("PORTAL_"))),
      ) as { PORTAL_SECURE_COOKIES: boolean; PORTAL_TRUST_PROXY: unknown };
      assert.equal(cfg.PORTAL_SECURE_COOKIES, true);
      assert.equal(cfg.PORTAL_TRUST_PROXY, 1);
      assert.ok(find(objs, "Ingress", "portal"), "and the Ingress is TLS");
    });

    test("camera pods each have a valid camera list, with unique camera ids", () => {
      const cameras = m(find(objs, "ConfigMap", "persona-cameras")?.data) as Record<string, string>;
      const ids: string[] = [];
      for (const o of workloads(objs).filter((w) => serviceOf(w) === "camera")) {
        assert.equal(o.kind, "StatefulSet");
        const [c] = list(podSpecOf(o)!.containers);
        const file = list(c?.env).find((e) => e.name === "CAMERAS_FILE")?.value;
        assert.equal(file, "/etc/persona/cameras/$(POD_NAME).json");
        const replicas = Number(m(o.spec).replicas);
        for (let i = 0; i < replicas; i++) {
          const key = `${o.metadata.name}-${i}.json`;
          assert.ok(cameras[key], `pod ${o.metadata.name}-${i} has its camera list (${key})`);
          const parsed = CameraListSchema.parse(JSON.parse(cameras[key] ?? ""));
          assert.ok(parsed.length > 0);
          ids.push(...parsed.map((x) => x.id));
        }
      }
      assert.equal(new Set(ids).size, ids.length, `camera ids unique: ${ids.join(", ")}`);
    });

    test("references resolve: ConfigMaps, Secrets with their keys, ServiceAccounts, Service selectors, scale targets", () => {
      const has = (kind: string, name: string) => objs.some((o) => o.kind === kind && o.metadata.name === name);
      const secretKey = (name: string, key?: string) => {
        const s = requiredSecrets.find((x) => x.name === name);
        assert.ok(s, `Secret ${name} is listed in base/required-secrets.yaml`);
        if (key) assert.ok(s.keys.includes(key), `Secret ${name} has key ${key} in required-secrets.yaml`);
      };
      for (const o of workloads(objs)) {
        const pod = podSpecOf(o)!;
        assert.ok(has("ServiceAccount", String(pod.serviceAccountName)), `${o.metadata.name}: ServiceAccount`);
        for (const v of list(pod.volumes)) {
          if (v.configMap)
            assert.ok(has("ConfigMap", String(m(v.configMap).name)), `${o.metadata.name}: volume ${String(v.name)}`);
          if (v.secret) {
            for (const item of list(m(v.secret).items)) secretKey(String(m(v.secret).secretName), String(item.key));
            secretKey(String(m(v.secret).secretName));
          }
        }
        for (const c of containersOf(o)) {
          for (const ef of list(c.envFrom)) {
            if (ef.configMapRef) assert.ok(has("ConfigMap", String(m(ef.configMapRef).name)), `${o.metadata.name}: envFrom`);
            if (ef.secretRef) secretKey(String(m(ef.secretRef).name));
          }
          for (const e of list(c.env)) {
            const from = m(e.valueFrom);
            if (from.secretKeyRef) secretKey(String(m(from.secretKeyRef).name), String(m(from.secretKeyRef).key));
            if (from.configMapKeyRef) {
              const ref = m(from.configMapKeyRef);
              assert.ok(
                String(ref.key) in m(find(objs, "ConfigMap", String(ref.name))?.data),
                `${o.metadata.name}: ${String(e.name)}`,
              );
            }
          }
          const claims = list(m(o.spec).volumeClaimTemplates).map((v) => m(v.metadata).name);
          const mounts = new Set([...list(pod.volumes).map((v) => v.name), ...claims]);
          for (const vm of list(c.volumeMounts)) assert.ok(mounts.has(vm.name), `${o.metadata.name}: mount ${String(vm.name)}`);
        }
      }
      const podLabels = (o: K8sObject) => m(m(m(o.spec).template).metadata).labels as Record<string, string>;
      const selects = (sel: Record<string, string>, labels: Record<string, string>) =>
        Object.entries(sel).every(([k, v]) => labels[k] === v);
      for (const o of objs) {
        if (o.kind === "Service" || o.kind === "PodDisruptionBudget") {
          const sel = (o.kind === "Service" ? m(o.spec).selector : m(m(o.spec).selector).matchLabels) as Record<string, string>;
          assert.ok(
            workloads(objs).some((w) => selects(sel, podLabels(w))),
            `${o.kind} ${o.metadata.name} selects some pods`,
          );
        }
        if (o.kind === "StatefulSet") assert.ok(has("Service", String(m(o.spec).serviceName)), `${o.metadata.name}: serviceName`);
        if (o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject")
          assert.ok(has("Deployment", String(m(m(o.spec).scaleTargetRef).name)), `${o.kind} target`);
        if (o.kind === "Ingress") {
          for (const t of list(m(o.spec).tls)) secretKey(String(t.secretName));
          for (const r of list(m(o.spec).rules)) {
            for (const p of list(m(r.http).paths)) {
              const svc = m(m(p.backend).service);
              const target = find(objs, "Service", String(svc.name));
              assert.ok(target, `Ingress backend ${String(svc.name)}`);
              assert.ok(list(m(target.spec).ports).some((x) => x.name === m(svc.port).name));
            }
          }
        }
        if (podSpecOf(o) && o.kind !== "Job") {
          const sel = m(m(o.spec).selector).matchLabels as Record<string, string>;
          assert.ok(selects(sel, podLabels(o)), `${o.metadata.name}: selector matches its template`);
          for (const other of workloads(objs))
            if (other !== o)
              assert.ok(!selects(sel, podLabels(other)), `${o.metadata.name}'s selector overlaps ${other.metadata.name}`);
        }
      }
    });

    test("network: default deny; NATS for every service, MongoDB only for the store users; PDBs for the replicated", () => {
      assert.ok(find(objs, "NetworkPolicy", "default-deny"), "default deny");
      const dd = m(find(objs, "NetworkPolicy", "default-deny")?.spec);
      assert.deepEqual(dd.podSelector, {});
      assert.deepEqual(dd.policyTypes, ["Ingress", "Egress"]);
      for (const o of workloads(objs)) {
        const svc = serviceOf(o);
        if (!svc) continue;
        const labels = m(m(m(o.spec).template).metadata).labels as Record<string, string>;
        assert.equal(labels["persona.io/nats"], "client", `${svc} reaches NATS`);
        assert.equal(
          labels["persona.io/mongodb"] === "client",
          STORE_USERS.has(svc),
          `${svc} reaches MongoDB only if it uses it`,
        );
      }
      for (const name of ["nats", "mongodb", "recognizer", "portal"]) {
        assert.ok(
          objs.some(
            (o) => o.kind === "PodDisruptionBudget" && m(m(m(o.spec).selector).matchLabels)["app.kubernetes.io/name"] === name,
          ),
          `PDB for ${name}`,
        );
      }
    });
  });
}

describe("deploy/k8s overlays against the base", () => {
  const baseImages = new Set(workloads(base).flatMap((o) => containersOf(o).map((c) => imageName(String(c.image)))));
  const baseNames = (kind: string) => new Set(base.filter((o) => o.kind === kind).map((o) => o.metadata.name));

  for (const variant of ["overlays/single-site", "overlays/multi-site"] as const) {
    test(`${variant} references only images, ConfigMaps, Secrets and ServiceAccounts of the base`, () => {
      const k = parse(readFileSync(join(K8S, variant, "kustomization.yaml"), "utf8")) as {
        images?: { name: string; newName?: string }[];
      };
      const renamed = new Map((k.images ?? []).map((i) => [i.newName ?? i.name, i.name]));
      for (const i of k.images ?? []) assert.ok(baseImages.has(i.name), `overlay image rule ${i.name} names a base image`);
      const objs = rendered[variant];
      for (const o of workloads(objs)) {
        const pod = podSpecOf(o)!;
        assert.ok(baseNames("ServiceAccount").has(String(pod.serviceAccountName)), `${o.metadata.name}: ServiceAccount in base`);
        for (const c of containersOf(o)) {
          const name = imageName(String(c.image));
          assert.ok(
            baseImages.has(renamed.get(name) ?? name),
            `${o.metadata.name}: image ${String(c.image)} comes from the base`,
          );
          for (const ef of list(c.envFrom))
            if (ef.configMapRef) assert.ok(baseNames("ConfigMap").has(String(m(ef.configMapRef).name)));
        }
        for (const v of list(pod.volumes)) {
          if (v.configMap)
            assert.ok(baseNames("ConfigMap").has(String(m(v.configMap).name)), `${o.metadata.name}: ConfigMap in base`);
          if (v.secret) assert.ok(requiredSecrets.some((s) => s.name === m(v.secret).secretName));
        }
      }
      for (const o of objs.filter((x) => x.kind === "ConfigMap"))
        assert.ok(baseNames("ConfigMap").has(o.metadata.name), `ConfigMap ${o.metadata.name} exists in the base`);
      for (const o of objs.filter((x) => x.kind === "ServiceAccount"))
        assert.ok(baseNames("ServiceAccount").has(o.metadata.name), `ServiceAccount ${o.metadata.name} exists in the base`);
    });
  }

  test("the NATS cluster: 3 servers, a route to each, server_name from the pod (KEDA finds the leader by it)", () => {
    const nats = find(base, "StatefulSet", "nats");
    const conf = String(m(find(base, "ConfigMap", "nats-config")?.data)["nats.conf"]);
    assert.equal(m(nats?.spec).replicas, 3);
    for (let i = 0; i < 3; i++) assert.ok(conf.includes(`nats-route://nats-${i}.nats:6222`), `route to nats-${i}`);
    assert.match(conf, /server_name: \$POD_NAME/);
    assert.match(conf, /jetstream \{[^}]*store_dir: \/data\/jetstream/);
    assert.ok(
      list(m(nats?.spec).volumeClaimTemplates).some((v) => m(v.metadata).name === "data"),
      "persistent volumes",
    );
    const mongo = find(base, "StatefulSet", "mongodb");
    assert.equal(m(mongo?.spec).replicas, 3);
    const [c] = list(podSpecOf(mongo!)!.containers);
    assert.deepEqual(((c?.args ?? []) as string[]).slice(0, 2), ["--replSet", "rs0"]);
    assert.ok(find(base, "Job", "mongodb-rs-init"), "the replica set is initiated by a Job");
    const store = requiredSecrets.find((s) => s.name === "persona-store") as unknown as { description: string };
    assert.match(store.description, /replicaSet=rs0/);
  });

  test("the unknown-field check finds typos at any depth", () => {
    const typo = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x", labelz: {} },
      spec: {
        selector: { matchLabels: { a: "b" } },
        template: {
          spec: {
            containers: [
              { name: "c", readinesProbe: {}, env: [{ name: "A", valueFrom: { secretKeyRef: { name: "s", kee: "k" } } }] },
            ],
          },
        },
      },
    };
    assert.deepEqual(unknownFields(typo, modelDeclaration("apps/v1", "Deployment")!), [
      "metadata.labelz",
      "spec.template.spec.containers[0].readinesProbe",
      "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.kee",
    ]);
  });

  test("the bot's /status reaches every other service's health port through <service>-health Services", () => {
    const template = String(m(find(base, "ConfigMap", "persona-bot")?.data).BOT_STATUS_HOST);
    assert.match(template, /\{service\}/);
    for (const svc of SERVICE_NAMES.filter((s) => s !== "bot")) {
      const name = template.replace("{service}", svc);
      const service = find(base, "Service", name);
      assert.ok(service, `Service ${name}`);
      const port = list(m(service.spec).ports).find((p) => p.port === DEFAULT_HEALTH_PORTS[svc]);
      assert.equal(port?.targetPort, "health", `${name} forwards the default health port`);
      assert.equal(m(m(service.spec).selector)["app.kubernetes.io/name"], svc);
    }
    assert.ok(find(base, "NetworkPolicy", "bot-status") && find(base, "NetworkPolicy", "health-from-bot"));
  });

  test("the renderer refuses what it does not implement, and patches of missing objects", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "persona-kustomize-"));
    try {
      writeFileSync(join(dir, "kustomization.yaml"), "resources: []\nconfigMapGenerator: []\n");
      assert.throws(() => render(dir), /configMapGenerator.*not supported/);
      writeFileSync(join(dir, "kustomization.yaml"), "resources: []\npatches:\n  - path: p.yaml\n");
      writeFileSync(join(dir, "p.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nope\n");
      assert.throws(() => render(dir), /does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
