"""deploy/k8s: `kubectl kustomize` builds it offline, every object validates against the Kubernetes schema
(k8s_schema), and the things the manifests promise hold: no fixed replica count beside the HPA, a
ReadWriteMany volume, a Secret from a file that is not in git, non-root read-only containers without
capabilities, startup/readiness/liveness probes on real ports, a preStop, a PDB, selectors that match, and an
init step that fills an empty model volume (run here for real against a folder)."""
import copy
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from conftest import DEPLOY, ROOT, have, run
from k8s_schema import validate

K8S = DEPLOY / "k8s"
pytestmark = pytest.mark.skipif(not have("kubectl"), reason="kubectl is not installed (it ships kustomize)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The objects of `kubectl kustomize deploy/k8s`, with an admin-token file as a user creates one."""
    tree = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("admin-token"))
    (tree / "admin-token").write_text(os.urandom(24).hex() + "\n")
    r = run(["kubectl", "kustomize", str(tree)])
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def _one(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]


def test_kustomize_builds_the_service_and_every_object_validates(built):
    docs = built
    assert sorted(d["kind"] for d in docs) == sorted(
        ["Secret", "Service", "PersistentVolumeClaim", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget"]
    )
    for d in docs:
        assert validate(d) == [], d["kind"]


def test_without_the_admin_token_file_the_build_fails_naming_it(tmp_path):
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("admin-token"))
    r = run(["kubectl", "kustomize", str(tree)])
    assert r.returncode != 0 and "admin-token" in r.stderr, r.stderr
    # and no token is in git: the file is ignored
    assert run(["git", "check-ignore", "-q", str(K8S / "admin-token")], cwd=ROOT).returncode == 0


def test_the_validator_finds_typos_wrong_types_and_missing_fields(built):
    docs = built
    deployment = _one(docs, "Deployment")
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinessProb"] = typo["spec"]["template"]["spec"]["containers"][
        0
    ].pop("readinessProbe")
    assert any("containers[0].readinessProb: unknown field" in e for e in validate(typo)), validate(typo)
    wrong = copy.deepcopy(deployment)
    wrong["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] = 8080
    assert any("annotations.prometheus.io/port: expected a string" in e for e in validate(wrong)), validate(wrong)
    missing = copy.deepcopy(deployment)
    del missing["spec"]["template"]["spec"]["containers"][0]["name"]
    assert any("containers[0].name: required field missing" in e for e in validate(missing)), validate(missing)
    hpa = copy.deepcopy(_one(docs, "HorizontalPodAutoscaler"))
    hpa["spec"]["maxReplicas"] = "ten"
    assert any("spec.maxReplicas: expected an integer" in e for e in validate(hpa))


def test_the_deployment_is_run_by_the_autoscaler_and_matched_by_its_selectors(built):
    docs = built
    deployment, hpa, pdb, service = (
        _one(docs, k) for k in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service")
    )
    assert "replicas" not in deployment["spec"]  # the HPA's count is never reset by an apply
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] >= 2
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (
        deployment["spec"]["selector"]["matchLabels"],
        pdb["spec"]["selector"]["matchLabels"],
        service["spec"]["selector"],
    ):
        assert selector.items() <= pod_labels.items()
    # a disruption may take one pod at a time, never below what the HPA keeps
    assert pdb["spec"].get("maxUnavailable", 0) == 1 or pdb["spec"].get("minAvailable", 0) < hpa["spec"]["minReplicas"]


def test_the_pod_is_locked_down_and_probed(built):
    docs = built
    deployment = _one(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    for c in pod["initContainers"] + pod["containers"]:
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        assert c["image"] == "your-registry/aeonnx-serve:0.1.0"  # kustomize's images: reached both
    serve = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in serve["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert serve[probe]["httpGet"]["port"] in ports, probe
    assert (
        serve["startupProbe"]["httpGet"]["path"] == "/readyz"
        and serve["livenessProbe"]["httpGet"]["path"] == "/healthz"
    )
    assert serve["lifecycle"]["preStop"]["exec"]["command"][0] == "/usr/local/bin/busybox"
    # the service listens on the port the probes and the Service use
    assert ports["http"] == 8080 and "--watch" in serve["args"]
    assert serve["args"][serve["args"].index("--model") + 1] == "/models/current.txt"


def test_volumes_exist_and_the_model_volume_is_shared_read_write(built):
    docs = built
    deployment, pvc, secret = (_one(docs, k) for k in ("Deployment", "PersistentVolumeClaim", "Secret"))
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in pod["initContainers"] + pod["containers"]:
        for m in c["volumeMounts"]:
            assert m["name"] in volumes, (c["name"], m["name"])
    assert volumes["models"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # kustomize renamed the generated Secret (hash suffix) and the reference with it
    assert volumes["admin-token"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert "admin-token" in secret["data"]
    serve = pod["containers"][0]
    token_mount = next(m for m in serve["volumeMounts"] if m["name"] == "admin-token")
    assert serve["args"][serve["args"].index("--admin-token-file") + 1] == token_mount["mountPath"] + "/admin-token"
    assert next(m for m in serve["volumeMounts"] if m["name"] == "models").get("readOnly") is True
    assert not next(m for m in pod["initContainers"][0]["volumeMounts"] if m["name"] == "models").get("readOnly", False)


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(K8S)) for p in (K8S / "jobs").glob("*.yaml")) + ["tools/model-shell.yaml"]
)
def test_the_jobs_and_tools_validate(path):
    docs = [d for d in yaml.safe_load_all((K8S / path).read_text()) if d]
    assert docs
    for d in docs:
        assert validate(d) == [], path


def test_the_indexed_job_shards_by_its_completion_index():
    job = yaml.safe_load((K8S / "jobs" / "encode-indexed-job.yaml").read_text())
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    c = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert int(env["SHARDS"]) == spec["completions"]
    script = c["args"][0]
    assert "--shard $k/$SHARDS" in script and "k=$((JOB_COMPLETION_INDEX + 1))" in script and "--resume" in script
    merge = yaml.safe_load((K8S / "jobs" / "encode-merge-job.yaml").read_text())
    assert "merge /out/part-*.npy" in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
    # the README shows no inline copy of it any more, it points here
    readme = (ROOT / "README.md").read_text()
    assert "deploy/k8s/jobs/encode-indexed-job.yaml" in readme and "completionMode: Indexed" not in readme


def test_the_images_carry_what_the_manifests_use():
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    init = deployment["spec"]["template"]["spec"]["initContainers"][0]
    env = {e["name"]: e["value"] for e in init["env"]}
    for dockerfile in ("Dockerfile", "Dockerfile.cuda"):
        text = (DEPLOY / dockerfile).read_text()
        assert re.search(
            r"^HEALTHCHECK .*\n? *CMD \[\"/usr/local/bin/busybox\", \"wget\".*/healthz", text, re.M
        ), dockerfile
        assert "-r linux-x64" in text, dockerfile  # one platform's natives only
        assert "COPY --from=build /bin/busybox /usr/local/bin/busybox" in text, dockerfile
        assert re.search(r"^USER (\$APP_UID|1654)$", text, re.M), dockerfile
        assert f"{env['SHIPPED']}/" in text, dockerfile  # the init step copies what the image ships
        assert re.search(r'ENTRYPOINT \["/app/AeOnnx.Cli", "serve", "--host", "\*", "--port", "8080"', text), dockerfile


def _init_script():
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    init = deployment["spec"]["template"]["spec"]["initContainers"][0]
    assert init["command"] == ["/usr/local/bin/busybox", "sh", "-c"]
    return init["args"][0], {e["name"]: e["value"] for e in init["env"]}


def _shell():
    # the image runs the script with busybox sh; Debian's busybox where installed (make setup), else POSIX sh
    return ["busybox", "sh", "-c"] if have("busybox") else ["sh", "-c"]


def _run_init(models: Path, wait="5"):
    script, env = _init_script()
    env = {
        **os.environ,
        **env,
        "MODELS": str(models),
        "SHIPPED": str(ROOT / "models" / env["NAME"]),
        "WAIT_SECONDS": wait,
    }
    return subprocess.run(_shell() + [script], env=env, capture_output=True, text=True, timeout=60)


def test_the_init_step_fills_an_empty_volume_once_and_leaves_a_filled_one_alone(tmp_path, aeonnx):
    models = tmp_path / "models"
    models.mkdir()
    first = _run_init(models)
    assert first.returncode == 0, first.stderr
    assert "copied the shipped fashion-mnist-ae" in first.stdout
    assert (models / "current.txt").read_text() == "fashion-mnist-ae\n"
    assert sorted(p.name for p in models.iterdir()) == ["current.txt", "fashion-mnist-ae"]  # no lock, no temp left
    for f in ("manifest.json", "encoder.onnx", "decoder.onnx"):
        assert (models / "fashion-mnist-ae" / f).read_bytes() == (ROOT / "models" / "fashion-mnist-ae" / f).read_bytes()
    # the folder the pointer names loads and passes the model checks
    named = models / (models / "current.txt").read_text().splitlines()[0]
    info = run([str(aeonnx), "info", "--model", str(named), "--device", "cpu"])
    assert info.returncode == 0 and "fashion-mnist-ae" in info.stdout, info.stderr
    # a volume with a pointer (an operator's model) is not touched
    (models / "current.txt").write_text("mine\n")
    again = _run_init(models)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert (models / "current.txt").read_text() == "mine\n"


def test_replicas_starting_together_fill_the_volume_once(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    results = [None] * 4

    def one(i):
        results[i] = _run_init(models, wait="30")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert sum("copied the shipped" in r.stdout for r in results) == 1
    assert sorted(p.name for p in models.iterdir()) == ["current.txt", "fashion-mnist-ae"]


def test_a_stale_lock_is_reported_not_waited_on_forever(tmp_path):
    models = tmp_path / "models"
    (models / ".first-model.lock").mkdir(parents=True)
    r = _run_init(models, wait="1")
    assert r.returncode == 1 and "remove the lock" in r.stderr
