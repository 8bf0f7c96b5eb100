"""Run dumped brief prompts through llama.cpp's own server with parallel slots.

Run by bench/compare (standard library only); prints one JSON object on stdout. This is
llama.cpp at its strongest for a batch of articles: `llama-server` with N parallel
slots and continuous batching (a finished slot takes the next request at once, and
all busy slots decode in one batch), fed from as many concurrent requests as there
are slots, on the loopback address only.

Each article's prompt is sent as token ids (brief's own, no re-tokenisation), decoded
greedily (temperature 0) with brief's repetition penalty (1.1 over the last 64
tokens), and exactly as many new tokens as brief generated for it (`n_predict` with
`ignore_eos`), so both do the same forward passes. `cache_prompt` lets a slot reuse
the KV cache of the instruction prefix from its previous article, as brief reuses it.
Timing runs from the first request sent to the last answer received; the server is
started, warmed up with --warmup requests, and stopped around it.
"""

import argparse
import concurrent.futures
import http.client
import json
import pathlib
import socket
import subprocess
import sys
import time


def load_prompts(directory):
    files = sorted(pathlib.Path(directory).glob("*.json"))
    if not files:
        sys.exit(f"server_run: no prompt files in {directory}")
    return [json.loads(f.read_text()) for f in files]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, path, body=None, timeout=3600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if body is None:
            conn.request("GET", path)
        else:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def wait_ready(port, proc, timeout=300):
    t = time.time()
    while time.time() - t < timeout:
        if proc.poll() is not None:
            sys.exit(f"server_run: llama-server exited with {proc.returncode}")
        try:
            status, _ = request(port, "/health", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("server_run: llama-server did not become ready")


def completion(port, ids, n_predict):
    body = {
        "prompt": ids,
        "n_predict": n_predict,
        "ignore_eos": True,
        "temperature": 0.0,
        "top_k": 1,
        "repeat_penalty": 1.1,
        "repeat_last_n": 64,
        "cache_prompt": True,
        "stream": False,
    }
    status, data = request(port, "/completion", body)
    if status != 200:
        sys.exit(f"server_run: /completion answered {status}: {data[:300]!r}")
    return json.loads(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="the llama-server binary")
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--targets", required=True, help="JSON file {article id: new tokens}")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--slots", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()

    prompts = load_prompts(args.prompts)
    targets = json.loads(pathlib.Path(args.targets).read_text())
    work = [(p, targets.get(p["id"], p["max_new_tokens"])) for p in prompts]
    per_slot = max(len(p["prompt_ids"]) + n for p, n in work) + 16
    port = free_port()
    cmd = [
        args.server, "-m", args.model, "--host", "127.0.0.1", "--port", str(port),
        "-t", str(args.threads), "-tb", str(args.threads), "-np", str(args.slots),
        "-c", str(per_slot * args.slots), "--cont-batching", "-b", "2048", "-ub", "512",
        "--no-webui", "--log-disable",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(port, proc)
        for p, n in work[: args.warmup]:
            completion(port, p["prompt_ids"], min(n, 8))
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.slots) as pool:
            answers = list(pool.map(lambda w: completion(port, w[0]["prompt_ids"], w[1]), work))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    generated = sum(a.get("tokens_predicted", 0) for a in answers)
    wanted = sum(n for _, n in work)
    if generated != wanted:
        sys.exit(f"server_run: llama-server generated {generated} tokens, brief {wanted}")
    print(
        json.dumps(
            {
                "server": " ".join(cmd[1:]),
                "threads": args.threads,
                "slots": args.slots,
                "articles": len(work),
                "wall_seconds": wall,
                "articles_per_minute": 60.0 * len(work) / wall if wall > 0 else 0.0,
                "prompt_tokens": sum(len(p["prompt_ids"]) for p, _ in work),
                "prompt_tokens_evaluated": sum(a.get("tokens_evaluated", 0) for a in answers),
                "generated_tokens": generated,
            }
        )
    )


if __name__ == "__main__":
    main()
