"""Encode brief's sentences with PyTorch sentence-transformers and time it.

Run by bench/compare inside its venv; prints one JSON object. Reads a brief
results.jsonl (records carry the cleaned text and sentence offsets) and encodes each
article's sentences plus its headline as one batch, as brief does, with
torch.set_num_threads(--threads). sentences/s counts article sentences (not headlines),
as `brief bench` does.
"""

import argparse
import json
import time


def articles(results):
    out = []
    with open(results, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("status") != "ok" or not r.get("text"):
                continue
            raw = r["text"].encode("utf-8")
            sents = [raw[s["start"] : s["end"]].decode("utf-8") for s in r["sentences"]]
            out.append((sents, r.get("title")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model_dir, device="cpu")
    docs = articles(args.results)
    batches = [s + ([t] if t else []) for s, t in docs]
    n_sentences = sum(len(s) for s, _ in docs)
    model.encode(batches[0], batch_size=64)  # warm-up
    walls = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        with torch.inference_mode():
            for b in batches:
                model.encode(b, batch_size=64)
        walls.append(time.perf_counter() - t)
    wall = sorted(walls)[len(walls) // 2]
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": args.threads,
                "articles": len(docs),
                "sentences": n_sentences,
                "wall_seconds": wall,
                "sentences_per_second": n_sentences / wall if wall > 0 else 0.0,
            }
        )
    )


if __name__ == "__main__":
    main()
