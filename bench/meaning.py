"""Benchmark: smart trackers against literal ones on a labelled set, for each sentence-embedding model.

bench/data/meaning_labelled.yaml holds >= 300 English and Russian sentences, labelled with the objections they
raise (most in other words than the taxonomy's phrases) or none (hard negatives: a rep naming a price, a customer
planning a roll-out). Each sentence is tagged as a call sentence would be (``enable.bites.tagging.Tagger``) with
the objections of content/taxonomy.yaml: literal phrases only (the baseline), then literal or by meaning at each
model's configured threshold, and over a sweep of thresholds (the best recall at precision >= 0.9 is what the
configured threshold is set from). Prints precision and recall overall and per objection, embedding speed
(sentences/s on one process) and the ingest overhead: the embedding time of a sample call's sentences against
faster-whisper's time for the same call (``--ingest``; transcribes the sample's audio once).

    nice .venv/bin/python bench/meaning.py                  # both models
    nice .venv/bin/python bench/meaning.py --model e5-small-q4 --ingest
    nice .venv/bin/python bench/meaning.py --model e5-small-q4 --search

``--search``: recall@5 of the right moment for paraphrased and cross-language queries (SEARCH_QUERIES: each names
the one labelled sentence it should find), with every labelled sentence a bite of its own in a real Whoosh index and
the sentence index (usearch): BM25 alone, hybrid with reciprocal rank fusion (what search runs), hybrid with the
alternative fusion (min-max normalised scores, weighted), and RRF at other cosine floors than the model's.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enable.bites.sentences import split_sentences  # noqa: E402
from enable.bites.tagging import MeaningExamples, Tagger, TagPhrase  # noqa: E402
from enable.meaning.embedding import MODELS, Embedder, get_embedder  # noqa: E402
from enable.taxonomy.services import parse_taxonomy  # noqa: E402

TARGET_PRECISION = 0.9
TARGET_RECALL = 0.85

# (query, the labelled sentence it should find, how the query differs from it)
SEARCH_QUERIES = [
    ("more than we planned to pay", "Honestly the number you quoted is way above what we had in mind.", "paraphrase"),
    ("we have no budget for it", "We simply don't have the funds set aside for something like this.", "paraphrase"),
    ("your rival is half the price", "Your competitor came in at half of that figure.", "paraphrase"),
    ("not now, come back after the holidays", "Let's revisit this after the summer, we're swamped.", "paraphrase"),
    ("we use a different vendor already", "We've been working with another provider for three years now.",
     "paraphrase"),
    ("my boss has to approve it", "I'll have to get sign-off from my director before we go further.", "paraphrase"),
    ("what is the return on investment", "I can't see how this would pay for itself.", "paraphrase"),
    ("will your startup survive", "You're a pretty young company, how do I know you'll still be here next year?",
     "paraphrase"),
    ("can developers connect it to our stack", "Is there an API so our developers can connect it to our systems?",
     "paraphrase"),
    ("data must stay in Europe", "We can't let customer data leave the EU.", "paraphrase"),
    ("monthly billing instead of annual", "Can we pay monthly instead of the whole year upfront?", "paraphrase"),
    ("слишком дорого для нас", "Для нашей команды это неподъёмная сумма.", "paraphrase"),
    ("бюджет меньше в два раза", "Мы закладывали в смету раза в два меньше.", "paraphrase"),
    ("руководство должно согласовать", "Покупку должно одобрить начальство.", "paraphrase"),
    ("какая польза нам от этого", "А что мы реально с этого получим?", "paraphrase"),
    ("we have no money allocated for this", "Денег на это сейчас не выделено.", "cross-language"),
    ("let's talk again after summer", "Давайте вернёмся к этому после лета, сейчас завал.", "cross-language"),
    ("we've used another supplier for years", "Мы уже три года работаем с другим поставщиком.", "cross-language"),
    ("management must approve the purchase", "Покупку должно одобрить начальство.", "cross-language"),
    ("who at your company can listen to our recordings", "Кто с вашей стороны может прослушивать наши записи?",
     "cross-language"),
    ("can we cancel if it does not work out in six months", "Нам нужна возможность выйти, если через полгода не "
     "пойдёт.", "cross-language"),
    ("это стоит больше, чем мы планировали", "That's a lot more money than we planned to spend on this.",
     "cross-language"),
    ("сейчас не время, давайте через полгода", "This isn't the right moment for us, maybe in six months.",
     "cross-language"),
    ("нужно одобрение директора", "I'll have to get sign-off from my director before we go further.",
     "cross-language"),
    ("данные зашифрованы?", "Is the data encrypted at rest and in transit?", "cross-language"),
    ("юристы хотят поменять условия договора", "Our legal team wants to change the liability section of your "
     "agreement.", "cross-language"),
    # A word of the query is in the right moment and in others (hard negatives): both sides count, fusion decides.
    ("budget cut", "Our budget for tooling got cut in half, so this is out of reach.", "shared words"),
    ("budget", "That quote would eat our entire training budget.", "shared words"),
    ("price too high", "Is there any flexibility on the price? It's steep for us.", "shared words"),
    ("price", "At that price point it just doesn't make sense for a team our size.", "shared words"),
    ("money", "We're a small shop, that kind of money is out of the question.", "shared words"),
    ("бюджет", "Эта сумма съест весь наш бюджет на обучение.", "shared words"),
]
KINDS = ("paraphrase", "cross-language", "shared words")


@dataclass(frozen=True)
class Item:
    text: str
    lang: str
    by: str
    tags: frozenset[str]


@dataclass(frozen=True)
class BenchWord:
    start: float
    end: float
    text: str
    speaker: str | None


def load_items(path: Path) -> list[Item]:
    """The labelled sentences: objection sections, negatives, then items with their tags spelled out."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [Item(e["text"], e["lang"], e["by"], frozenset([key, *e.get("also", [])]))
             for key, entries in data["objections"].items() for e in entries]
    items += [Item(e["text"], e["lang"], e["by"], frozenset()) for e in data["negatives"]]
    items += [Item(e["text"], e["lang"], e["by"], frozenset(e["tags"])) for e in data.get("more", [])]
    return items


def objection_phrases() -> list[TagPhrase]:
    """The taxonomy's objection phrases, as the tagger gets them."""
    return [TagPhrase(tag_key=spec.key, kind=spec.kind.value, language=lang, phrase=phrase)
            for spec in parse_taxonomy(ROOT / "content" / "taxonomy.yaml") if spec.kind.value == "objection"
            for lang, phrase in spec.phrases]


def words_of(item: Item) -> list[BenchWord]:
    return [BenchWord(i * 0.4, i * 0.4 + 0.3, w, item.by) for i, w in enumerate(item.text.split())]


def predict(tagger: Tagger, items: list[Item], vectors: np.ndarray | None) -> list[frozenset[str]]:
    out = []
    for n, item in enumerate(items):
        words = words_of(item)
        sentences = split_sentences(words)
        rows = None
        if vectors is not None:  # the whole item is one labelled sentence; the splitter may cut it at "?" or "."
            rows = np.repeat(vectors[n : n + 1], len(sentences), axis=0)
        out.append(frozenset(h.tag_key for h in tagger.tag(words, sentences, rows)))
    return out


def scores(items: list[Item], predicted: list[frozenset[str]], key: str | None = None) -> tuple[float, float, int]:
    """Precision, recall and support, over all objections or for one."""
    tp = fp = fn = 0
    for item, got in zip(items, predicted, strict=True):
        gold = item.tags if key is None else item.tags & {key}
        got = got if key is None else got & {key}
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp + fn


def line(label: str, p: float, r: float, n: int) -> str:
    return f"  {label:<28} precision {p:5.3f}  recall {r:5.3f}  (n={n})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", choices=list(MODELS), help="model(s) to measure (default: all)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "meaning_labelled.yaml")
    parser.add_argument("--ingest", action="store_true", help="also time faster-whisper on a sample call")
    parser.add_argument("--search", action="store_true", help="only the search part: recall@5, BM25 against hybrid")
    args = parser.parse_args()
    if args.search:
        for name in args.model or list(MODELS):
            search_recall(load_items(args.data), name)
        return

    items = load_items(args.data)
    keys = sorted({k for item in items for k in item.tags})
    phrases = objection_phrases()
    langs = {lang: sum(1 for i in items if i.lang == lang) for lang in ("en", "ru")}
    print(f"{len(items)} labelled sentences ({langs['en']} English, {langs['ru']} Russian), "
          f"{sum(1 for i in items if not i.tags)} without objection; {len(phrases)} taxonomy phrases")
    literal = predict(Tagger(phrases), items, None)
    p0, r0, n0 = scores(items, literal)
    print("\nliteral phrases only (baseline)")
    print(line("all objections", p0, r0, n0))

    for name in args.model or list(MODELS):
        embedder = get_embedder(name)
        texts = [i.text for i in items]
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        per_s = len(texts) / (time.perf_counter() - started)
        examples = embedder.embed([p.phrase for p in phrases])
        configured = MODELS[name].thresholds["objection"]
        print(f"\n{name}: {per_s:.0f} sentences/s (one process, batch of {len(texts)})")

        def tagger_at(threshold: float, examples: np.ndarray = examples, name: str = name) -> Tagger:
            return Tagger(phrases, MeaningExamples(name, tuple(phrases), examples, {"objection": threshold}))

        sweep = []
        for threshold in np.arange(0.20, 0.96, 0.01):
            p, r, _n = scores(items, predict(tagger_at(float(threshold)), items, vectors))
            sweep.append((float(threshold), p, r))
        print("  sweep (threshold: precision/recall): " + ", ".join(
            f"{t:.2f}: {p:.2f}/{r:.2f}" for t, p, r in sweep[::5]))
        ok = [s for s in sweep if s[1] >= TARGET_PRECISION]
        if ok:
            best = max(ok, key=lambda s: (s[2], s[1]))
            print(f"  best recall at precision >= {TARGET_PRECISION}: threshold {best[0]:.2f}, "
                  f"precision {best[1]:.3f}, recall {best[2]:.3f}")
        else:
            best = max(sweep, key=lambda s: (s[1], s[2]))
            print(f"  no threshold reaches precision {TARGET_PRECISION} (literal matches alone have {p0:.3f}); "
                  f"highest at threshold {best[0]:.2f}: precision {best[1]:.3f}, recall {best[2]:.3f}")
        alone = Tagger([], MeaningExamples(name, tuple(phrases), examples, {"objection": configured}))
        pm, rm, nm = scores(items, predict(alone, items, vectors))
        print(line(f"by meaning alone at {configured:.3f}", pm, rm, nm))
        predicted = predict(tagger_at(configured), items, vectors)
        p, r, n = scores(items, predicted)
        met = "met" if p >= TARGET_PRECISION and r >= TARGET_RECALL else "NOT met"
        print(f"  at the configured threshold {configured:.3f} (literal or by meaning); target {met}:")
        print(line("all objections", p, r, n))
        for lang in ("en", "ru"):
            subset = [i for i in items if i.lang == lang]
            pl, rl, nl = scores(subset, [g for i, g in zip(items, predicted, strict=True) if i.lang == lang])
            print(line(f"  {lang} sentences", pl, rl, nl))
        print(f"  {'per objection':<28} {'literal P/R':>14}   {'with meaning P/R':>18}")
        for key in keys:
            lp, lr, kn = scores(items, literal, key)
            mp, mr, _ = scores(items, predicted, key)
            print(f"    {key:<26} {lp:5.2f} / {lr:4.2f}     {mp:5.2f} / {mr:4.2f}   (n={kn})")
        print(f"  recall gain over literal: {r - r0:+.3f} (x{r / r0 if r0 else float('inf'):.1f}); "
              f"precision change {p - p0:+.3f}")
        review_loop(items, phrases, name, examples, vectors, p0_r0=(p0, r0))
        if args.ingest:
            ingest_overhead(embedder)


def review_loop(items: list[Item], phrases: list[TagPhrase], name: str, examples: np.ndarray, vectors: np.ndarray,
                p0_r0: tuple[float, float]) -> None:
    """Enablement reviews the moments matched by meaning in half the sentences (every other one): a right one is
    confirmed and becomes an example, a wrong one is rejected and becomes a negative example; precision and recall
    are then measured on the other half, at each threshold."""
    review, held = list(range(0, len(items), 2)), list(range(1, len(items), 2))
    held_items = [items[i] for i in held]
    rows = []
    for threshold in np.arange(0.20, 0.96, 0.01):
        thresholds = {"objection": float(threshold)}
        tagger = Tagger(phrases, MeaningExamples(name, tuple(phrases), examples, thresholds))
        literal = Tagger(phrases)
        rejected: list[tuple[tuple[str, str], int]] = []
        confirmed: list[tuple[str, int]] = []
        for i in review:
            got = predict(tagger, [items[i]], vectors[i : i + 1])[0] - predict(literal, [items[i]], None)[0]
            rejected += [(("objection", key), i) for key in got - items[i].tags]
            confirmed += [(key, i) for key in got & items[i].tags]
        negatives = vectors[[i for _, i in rejected]] if rejected else None
        owners = (*phrases, *(TagPhrase(key, "objection", "", items[i].text) for key, i in confirmed))
        more = np.vstack([examples, *(vectors[i : i + 1] for _, i in confirmed)])
        reviewed = Tagger(phrases, MeaningExamples(name, owners, more, thresholds,
                                                   tuple(owner for owner, _ in rejected), negatives))
        before = scores(held_items, predict(tagger, held_items, vectors[held]))
        after = scores(held_items, predict(reviewed, held_items, vectors[held]))
        rows.append((float(threshold), (len(confirmed), len(rejected)), before, after))
    ok = [r for r in rows if r[3][0] >= TARGET_PRECISION]
    if not ok:
        print("  after reviewing half: no threshold reaches the target precision on the other half")
        return
    t, n, before, after = max(ok, key=lambda r: (r[3][1], r[3][0]))
    print(f"  after enablement reviews half the set at threshold {t:.2f} ({n[0]} moments confirmed, {n[1]} rejected), "
          f"on the other half: precision {after[0]:.3f}, recall {after[1]:.3f} (before review {before[0]:.3f}/"
          f"{before[1]:.3f})")


def ingest_overhead(embedder: Embedder) -> None:
    """Embedding a sample call's sentences against transcribing its audio (tiny.en), same process, same run."""
    import json
    import tempfile

    from enable.transcription.transcriber import Transcriber
    from enable.transcription.types import Transcript

    samples = ROOT / "transcripts" / "samples"
    transcript = Transcript.from_dict(json.loads((samples / "closing-authority.json").read_text(encoding="utf-8")))
    sentences = split_sentences([w for s in transcript.segments for w in s.words])
    started = time.perf_counter()
    embedder.embed([s.text for s in sentences])
    embed_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as cache:
        transcriber = Transcriber(cache_dir=Path(cache))
        transcriber.load()
        started = time.perf_counter()
        transcriber.transcribe(samples / "closing-authority.ogg")
        whisper_s = time.perf_counter() - started
    print(f"  ingest: {len(sentences)} sentences of a {transcript.duration_s:.0f} s call embedded in {embed_s:.2f} s; "
          f"faster-whisper took {whisper_s:.1f} s: +{100 * embed_s / whisper_s:.1f}% ingest time")


def search_recall(items: list[Item], name: str) -> None:
    """Recall@5 of the right moment: BM25 alone against hybrid search (two fusions, several cosine floors)."""
    import tempfile

    from enable.meaning.vector_index import SentenceIndex, SentenceRow
    from enable.search.hybrid import HybridSearch, Moment, rrf, weighted_fusion
    from enable.search.index import BiteDoc, SearchQuery
    from enable.search.whoosh_backend import WhooshIndex

    embedder = get_embedder(name)
    texts = [i.text for i in items]
    missing = sorted({t for _q, t, _k in SEARCH_QUERIES} - set(texts))
    if missing:
        raise SystemExit(f"SEARCH_QUERIES name sentences not in the labelled set: {missing}")
    vectors = embedder.embed(texts)
    floor = MODELS[name].search_floor
    with tempfile.TemporaryDirectory() as folder:
        words = WhooshIndex(Path(folder) / "index")
        words.add([BiteDoc(id=n + 1, call_id=n + 1, call_title="bench", title="", text=t, language=i.lang)
                   for n, (t, i) in enumerate(zip(texts, items, strict=True))])
        sentences = SentenceIndex(Path(folder) / "vectors", name, MODELS[name].dim)
        sentences.rebuild([([SentenceRow(n + 1, n + 1, 0.0, t) for n, t in enumerate(texts)], vectors)])
        target = {t: n + 1 for n, t in enumerate(texts)}
        query_vectors = embedder.embed([q for q, _t, _k in SEARCH_QUERIES])

        def moments_at(at_floor: float) -> dict[str, list[Moment]]:
            return {q: [Moment(s.bite_id, s.score, s.text, s.start_s)
                        for s in sentences.nearest(query_vectors[n], 200, floor=at_floor)]
                    for n, (q, _t, _k) in enumerate(SEARCH_QUERIES)}

        def recall(top5: dict[str, list[int]], kind: str) -> str:
            chosen = [(q, t) for q, t, k in SEARCH_QUERIES if k == kind]
            found = sum(1 for q, t in chosen if target[t] in top5[q][:5])
            return f"{found / len(chosen):.2f} ({found}/{len(chosen)})"

        bm25 = {q: [h.id for h in words.search(SearchQuery(text=q, per_page=5)).hits] for q, _t, _k in SEARCH_QUERIES}
        runs = {"BM25 alone": bm25}
        for at_floor in sorted({floor, round(floor - 0.04, 2), round(floor + 0.03, 2)}):
            near = moments_at(at_floor)
            label = f"hybrid RRF, floor {at_floor:.2f}" + (" (configured)" if at_floor == floor else "")
            runs[label] = {q: [h.id for h in HybridSearch(words, lambda text, near=near: near[text]).search(
                SearchQuery(text=q, per_page=5)).hits] for q, _t, _k in SEARCH_QUERIES}
        near = moments_at(floor)
        weighted = {}
        for q, _t, _k in SEARCH_QUERIES:
            scored = [(h.id, h.score) for h in words.search(SearchQuery(text=q, per_page=50)).hits]
            weighted[q] = [i for i, _s in weighted_fusion([scored, [(m.bite_id, m.score) for m in near[q]]],
                                                          [0.5, 0.5])]
        runs[f"hybrid weighted 0.5/0.5, floor {floor:.2f}"] = weighted
        runs["meaning alone (no fusion)"] = {q: [m.bite_id for m in near[q]] for q in near}
        assert rrf([[1, 2], [2, 3]])[0][0] == 2
    print(f"\nsearch, {name}: recall@5 of the right moment among {len(items)} bites; queries: "
          + ", ".join(f"{sum(k == kind for *_r, k in SEARCH_QUERIES)} {kind}" for kind in KINDS))
    for label, top5 in runs.items():
        print(f"  {label:<40} " + "   ".join(f"{kind} {recall(top5, kind)}" for kind in KINDS))


if __name__ == "__main__":
    main()
