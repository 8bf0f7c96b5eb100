"""Run dumped brief prompts through llama.cpp (llama-cpp-python) and time them.

Run by bench/compare inside its venv; prints one JSON object on stdout. Each article's
prompt is fed as token ids (no re-tokenisation), decoded greedily with brief's
repetition penalty (1.1 over the last 64 tokens), one article after another in one
process with n_threads = n_threads_batch = --threads.

Workloads:
  same   brief's prompt (its chosen sentences); with --targets, exactly as many new
         tokens per article as brief generated (end-of-turn does not stop it), so
         both do the same number of forward passes; without, stop at end of turn or
         max_new_tokens.
  whole  the same instruction with the whole cleaned article; stop at end of turn or
         max_new_tokens (what a plain one-prompt-per-article user runs).
"""

import argparse
import json
import pathlib
import sys
import time


def load_prompts(directory):
    files = sorted(pathlib.Path(directory).glob("*.json"))
    if not files:
        sys.exit(f"llama_run: no prompt files in {directory}")
    return [json.loads(f.read_text()) for f in files]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--mode", choices=["same", "whole"], required=True)
    ap.add_argument("--targets", help="JSON file {article id: new tokens}")
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()

    import llama_cpp
    from llama_cpp import Llama

    prompts = load_prompts(args.prompts)
    key = "prompt_ids" if args.mode == "same" else "whole_article_prompt_ids"
    targets = json.loads(pathlib.Path(args.targets).read_text()) if args.targets else None
    max_new = max(p["max_new_tokens"] for p in prompts)
    n_ctx = max(len(p[key]) for p in prompts) + max_new + 16
    llm = Llama(
        model_path=args.model,
        n_ctx=n_ctx,
        n_batch=512,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        last_n_tokens_size=64,
        seed=0,
        verbose=False,
    )

    def is_end(tok):
        return llama_cpp.llama_vocab_is_eog(llm._model.vocab, tok)

    def run(p):
        ids = p[key]
        limit = p["max_new_tokens"]
        exact = None
        if targets is not None and args.mode == "same":
            exact = targets.get(p["id"])
            limit = exact if exact is not None else limit
        n = 0
        t = time.perf_counter()
        if limit > 0:
            # temp 0 is greedy; reset=True keeps llama-cpp-python's reuse of a common
            # prompt prefix (the instruction) from the previous article.
            for tok in llm.generate(
                ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.1, reset=True
            ):
                if exact is None and is_end(tok):
                    break
                n += 1
                if n >= limit:
                    break
        return time.perf_counter() - t, len(ids), n

    for p in prompts[: args.warmup]:
        run(p)
    per_article = []
    t0 = time.perf_counter()
    for p in prompts:
        seconds, prompt_tokens, generated = run(p)
        per_article.append(
            {"id": p["id"], "seconds": seconds, "prompt_tokens": prompt_tokens, "generated_tokens": generated}
        )
    wall = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "llama_cpp_python": llama_cpp.__version__,
                "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
                "mode": args.mode,
                "threads": args.threads,
                "articles": len(prompts),
                "wall_seconds": wall,
                "articles_per_minute": 60.0 * len(prompts) / wall if wall > 0 else 0.0,
                "prompt_tokens": sum(a["prompt_tokens"] for a in per_article),
                "generated_tokens": sum(a["generated_tokens"] for a in per_article),
                "per_article": per_article,
            }
        )
    )


if __name__ == "__main__":
    main()
