"""Scale-out on real engines, on this one machine:

- a single-node Slurm cluster (Debian's slurmctld, slurmd and munge, configured in a temporary folder,
  loopback only) runs deploy/slurm/encode-array.sh as a 4-task array over a folder, then
  deploy/slurm/encode-merge.sh as a dependent job; the merged latents equal one unsharded run byte for byte;
- torchrun with c10d rendezvous as two "nodes" (two launchers, --nnodes=2, node ranks 0 and 1, one gloo
  process each) gives the checkpoint a single-node run of the same world size (2) and seed gives, byte for
  byte: the rule docs/TRAINING.md states. The two launchers spell their options differently
  (--nproc-per-node / --nproc_per_node): both spellings run.

`make scale-check` runs only these; `make test` runs them with everything else.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEPLOY, ROOT, have, run

pytestmark = pytest.mark.scale
SCRIPTS = ROOT / "training-scripts"
SLURM_TOOLS = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "scontrol", "sinfo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(condition, timeout: float, what: str, every: float = 0.25):
    """Polls the daemons' own state (sinfo, squeue) until it says what the test waits for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Cluster:
    def __init__(self, root: Path):
        self.root = root
        self.conf = root / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.procs = []

    def start(self):
        r = self.root
        for d in ("munge", "state", "spool", "log"):
            (r / d).mkdir()
        (r / "munge").chmod(0o700)
        key = r / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        sock = r / "munge" / "munge.socket"
        self.munge = ["--socket", str(sock)]
        subprocess.run(
            [
                "munged",
                "--force",
                *self.munge,
                "--key-file",
                str(key),
                "--log-file",
                str(r / "log" / "munged.log"),
                "--pid-file",
                str(r / "munge" / "munged.pid"),
                "--seed-file",
                str(r / "munge" / "seed"),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        node = socket.gethostname().split(".")[0]
        self.conf.write_text(
            f"""\
ClusterName=aeonnxcheck
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={sock}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName={node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} State=UNKNOWN
PartitionName=check Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
        )
        for daemon in ("slurmctld", "slurmd"):
            self.procs.append(
                subprocess.Popen(
                    [daemon, "-D", "-f", str(self.conf)] + (["-i"] if daemon == "slurmctld" else []),
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(r / "log" / f"{daemon}.stderr", "w"),
                )
            )
        _wait_for(
            lambda: run(["sinfo", "-h", "-o", "%t"], env=self.env).stdout.strip() == "idle",
            60,
            "the node to register idle\n" + self.logs(),
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text()[-1500:] for p in sorted((self.root / "log").glob("*")) if p.is_file()
        )

    def sbatch(self, *args, env=None) -> str:
        r = run(["sbatch", "--parsable", *args], env={**self.env, **(env or {})}, cwd=self.root)
        assert r.returncode == 0, r.stderr + self.logs()
        return r.stdout.strip().split(";")[0]

    def job_states(self, job: str):
        """(state, exit code) of each task of a job, from the controller (accounting is off)."""
        out = run(["scontrol", "-o", "show", "job", job], env=self.env).stdout
        states = []
        for line in out.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            states.append((fields.get("JobState"), fields.get("ExitCode")))
        return states

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["munged", "--stop", *self.munge], capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    missing = [t for t in SLURM_TOOLS if not have(t)]
    if missing:
        pytest.skip(
            f"Slurm is not installed ({', '.join(missing)}): apt-get install slurmctld slurmd slurm-client munge (make setup)"
        )
    if os.geteuid() != 0:
        pytest.skip("slurmd must run as root to start jobs")
    cluster = Cluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_slurm_array_of_four_shards_then_merge_equals_the_unsharded_run(slurm, aeonnx, tmp_path):
    images = tmp_path / "images"
    shutil.copytree(ROOT / "samples" / "images", images)
    n_images = sum(1 for _ in images.rglob("*.png"))
    assert n_images >= 8
    model = ROOT / "models" / "fashion-mnist-ae"
    whole = run(
        [
            str(aeonnx),
            "encode",
            str(images),
            "--model",
            str(model),
            "--output",
            str(tmp_path / "whole" / "latents.npy"),
            "--quiet",
        ]
    )
    assert whole.returncode == 0, whole.stderr

    out = tmp_path / "out"
    env = {"IMAGES": str(images), "OUT": str(out), "AEONNX": str(aeonnx), "MODEL": str(model)}
    array = slurm.sbatch("--array=1-4", "--cpus-per-task=1", str(DEPLOY / "slurm" / "encode-array.sh"), env=env)
    merge = slurm.sbatch(f"--dependency=afterok:{array}", str(DEPLOY / "slurm" / "encode-merge.sh"), env=env)
    _wait_for(
        lambda: run(["squeue", "-h", "-j", f"{array},{merge}"], env=slurm.env).stdout.strip() == "",
        240,
        "the array and the merge to finish\n" + slurm.logs(),
    )
    tasks = slurm.job_states(array)
    assert tasks == [("COMPLETED", "0:0")] * 4, (tasks, slurm.logs())
    assert slurm.job_states(merge) == [("COMPLETED", "0:0")], slurm.logs()

    # four shard outputs, each a real part, and a merge that is the unsharded run's bytes
    parts = sorted(out.glob("part-*.npy"))
    assert [p.name for p in parts] == [f"part-{k}.npy" for k in (1, 2, 3, 4)]
    assert sum(len((p.parent / (p.stem + ".index.csv")).read_text().splitlines()) - 1 for p in parts) == n_images
    assert (out / "latents.npy").read_bytes() == (tmp_path / "whole" / "latents.npy").read_bytes()
    assert (out / "latents.index.csv").read_bytes() == (tmp_path / "whole" / "latents.index.csv").read_bytes()


def test_slurm_array_refuses_an_array_that_does_not_start_at_one(slurm, aeonnx, tmp_path):
    env = {"IMAGES": str(ROOT / "samples" / "images"), "OUT": str(tmp_path / "out"), "AEONNX": str(aeonnx)}
    job = slurm.sbatch("--array=2-3", "--cpus-per-task=1", str(DEPLOY / "slurm" / "encode-array.sh"), env=env)
    _wait_for(lambda: run(["squeue", "-h", "-j", job], env=slurm.env).stdout.strip() == "", 120, "the array to finish")
    assert [s for s, _ in slurm.job_states(job)] == ["FAILED", "FAILED"]
    assert not (tmp_path / "out").exists()


def _tiny_training(dataset: Path, out: Path):
    return [
        "train.py",
        "--dataset",
        str(dataset),
        "--image-size",
        "16x16",
        "--channels",
        "3",
        "--latent-dim",
        "4",
        "--widths",
        "4",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--workers",
        "0",
        "--seed",
        "5",
        "--device",
        "cpu",
        "--no-progress",
        "--out",
        str(out),
    ]


def test_two_node_torchrun_with_c10d_rendezvous_equals_a_single_node_run_of_the_same_world_size(tmp_path):
    from aeonnx_training import synthetic
    from aeonnx_training.checkpoint import load_state

    data = synthetic.write_shapes_folder(tmp_path / "shapes", count=64, size=16, seed=3)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launcher = [sys.executable, "-m", "aeonnx_training.launch"]
    endpoint = f"127.0.0.1:{_free_port()}"
    nodes = []
    for rank, spelled in ((0, "dash"), (1, "underscore")):
        d = (lambda o: o) if spelled == "underscore" else (lambda o: o.replace("_", "-"))
        opts = [
            "--nnodes=2",
            f"{d('--nproc_per_node')}=1",
            f"{d('--node_rank')}={rank}",
            f"{d('--rdzv_backend')}=c10d",
            f"{d('--rdzv_endpoint')}={endpoint}",
            f"{d('--rdzv_id')}=scale-check",
            f"{d('--max_restarts')}=0",
        ]
        nodes.append(
            subprocess.Popen(
                launcher + opts + _tiny_training(data, tmp_path / "two-nodes"),
                cwd=SCRIPTS,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [p.communicate(timeout=300) for p in nodes]
    for p, (_, err) in zip(nodes, results):
        assert p.returncode == 0, err[-3000:]
    single = subprocess.run(
        launcher
        + ["--standalone", "--nproc_per_node=2", "--max_restarts=0"]
        + _tiny_training(data, tmp_path / "one-node"),
        cwd=SCRIPTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert single.returncode == 0, single.stderr[-3000:]

    two, one = load_state(tmp_path / "two-nodes"), load_state(tmp_path / "one-node")
    assert two["world_size"] == one["world_size"] == 2
    assert two["step"] == one["step"] > 0
    assert (tmp_path / "two-nodes" / "checkpoint.pt").read_bytes() == (
        tmp_path / "one-node" / "checkpoint.pt"
    ).read_bytes()
