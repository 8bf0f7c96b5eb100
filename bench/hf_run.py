"""Run dumped brief prompts through HF transformers on PyTorch (CPU) and time them.

Run by bench/compare --hf inside its venv; prints one JSON object. transformers loads
the same GGUF file (dequantised to f32: PyTorch has no kernels for GGUF's quantised
formats), gets brief's prompt ids, decodes greedily with repetition penalty 1.1 and
generates exactly as many new tokens per article as brief did.
"""

import argparse
import json
import pathlib
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    path = pathlib.Path(args.model)
    model = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, torch_dtype=torch.float32
    )
    model.eval()
    prompts = [json.loads(f.read_text()) for f in sorted(pathlib.Path(args.prompts).glob("*.json"))]
    targets = json.loads(pathlib.Path(args.targets).read_text())

    def run(p):
        n = targets.get(p["id"], p["max_new_tokens"])
        ids = torch.tensor([p["prompt_ids"]])
        t = time.perf_counter()
        if n > 0:
            with torch.inference_mode():
                out = model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=n,
                    min_new_tokens=n,
                    do_sample=False,
                    repetition_penalty=1.1,
                    pad_token_id=0,
                )
            n = out.shape[1] - ids.shape[1]
        return time.perf_counter() - t, ids.shape[1], n

    for p in prompts[: args.warmup]:
        run(p)
    rows = []
    t0 = time.perf_counter()
    for p in prompts:
        s, pt, g = run(p)
        rows.append({"id": p["id"], "seconds": s, "prompt_tokens": pt, "generated_tokens": g})
    wall = time.perf_counter() - t0
    print(json.dumps({
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "threads": args.threads,
        "articles": len(prompts),
        "wall_seconds": wall,
        "articles_per_minute": 60.0 * len(prompts) / wall if wall > 0 else 0.0,
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "generated_tokens": sum(r["generated_tokens"] for r in rows),
        "per_article": rows,
    }))


if __name__ == "__main__":
    main()
