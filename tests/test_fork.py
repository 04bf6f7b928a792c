"""The library works in a child forked after the parent generated with several threads.

GNU libgomp's thread pool does not survive fork(); the child falls back to one
thread (same bits). Run in a subprocess with a timeout so a hang fails the test.
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import hashlib, multiprocessing as mp
    import numpy as np
    import weightinit as wi

    def digest(seed):
        a = wi.random.normal((700, 1000), rng=seed, dtype=np.float32)  # large: threaded path
        return hashlib.sha256(a.tobytes()).hexdigest()

    if __name__ == "__main__":
        wi.set_num_threads(2)
        parent = [digest(s) for s in range(4)]          # starts the OpenMP pool
        with mp.get_context("fork").Pool(2) as pool:
            child = pool.map(digest, range(4))
        assert child == parent, (child, parent)
        print("ok", wi.get_num_threads())
    """
)


def test_multiprocessing_fork_after_threads(tmp_path):
    script = tmp_path / "fork_after_threads.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok")


def test_omp_num_threads_is_the_default():
    code = "import weightinit as wi; print(wi.get_num_threads())"
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "3"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "3"
