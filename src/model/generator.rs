//! Text generation with a GGUF decoder (`llama`, `qwen2`): load once, share
//! across threads, prefill a common prompt prefix once and fork its KV cache
//! for every request.
//!
//! Threads: candle runs quantised matmuls on one global spin-barrier pool whose
//! calls are serialised, so concurrent `generate` calls do not scale with it and
//! an oversubscribed machine makes its spinning very slow; for article-level
//! parallelism set `CANDLE_NUM_THREADS=1` (and `RAYON_NUM_THREADS=1`) and run
//! one generation per core on a shared `Arc<Generator>`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokenizers::Tokenizer;

use super::chat::{ChatMessage, ChatTemplate};
use super::gguf::{load_error, GgufFile, ModelFacts};
use super::gguf_tokenizer::load_tokenizer;
use super::registry::{self, Family};
use super::sampling::{apply_repetition_penalty, Sampler, Sampling};
use super::transformer::{KvCache, Transformer, WeightFormat};
use crate::cancel::Cancel;
use crate::error::{ArticleError, Error, ErrorKind, Result};

/// Bytes allowed for f32 weights when loading a float (HF safetensors) checkpoint:
/// f32 when they fit, else f16. GGUF models load as [`WeightFormat::Int8`].
pub const DEFAULT_DENSE_BUDGET_BYTES: u64 = 1_000_000_000;

/// Options for [`Generator::load_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Weight representation; `None`: [`WeightFormat::Int8`] for GGUF files, for
    /// float checkpoints one from the model size (see [`DEFAULT_DENSE_BUDGET_BYTES`]).
    pub weight_format: Option<WeightFormat>,
    /// Byte budget for f32 weights of float checkpoints when `weight_format` is `None`.
    pub dense_budget_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            weight_format: None,
            dense_budget_bytes: DEFAULT_DENSE_BUDGET_BYTES,
        }
    }
}

/// Options for one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Upper bound on generated tokens (the stop token is not counted).
    pub max_new_tokens: usize,
    /// Extra token ids that end generation, besides the model's end-of-turn ids.
    pub stop_ids: Vec<u32>,
    /// Greedy or seeded sampling.
    pub sampling: Sampling,
    /// Repetition penalty (1 = off).
    pub repetition_penalty: f32,
    /// How many of the latest tokens (prompt included) the penalty looks at;
    /// 0 = all of them.
    pub repeat_last_n: usize,
    /// Steer a structured answer into its next section without a second prompt
    /// (see [`Steer`]).
    pub steer: Option<Steer>,
    /// Checked before every step (and every prompt run): once set, generation ends
    /// with [`Error::interrupted`].
    pub cancel: Option<Cancel>,
}

impl GenerateOptions {
    /// Err([`Error::interrupted`]) once [`Self::cancel`] is set.
    pub(crate) fn check_cancel(&self) -> Result<()> {
        self.cancel.as_ref().map_or(Ok(()), Cancel::check)
    }
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_new_tokens: 256,
            stop_ids: Vec::new(),
            sampling: Sampling::Greedy,
            repetition_penalty: 1.0,
            repeat_last_n: 64,
            steer: None,
            cancel: None,
        }
    }
}

/// Steering a structured answer into its next section: when the model ends its turn
/// before it has written `marker`, or has written `after` tokens without it and just
/// closed a sentence, `ids` are fed (once) and decoding goes on from the same cache.
/// The second case bounds a section a small model would otherwise spin out to the
/// token budget (a summary that copies the article sentence by sentence), leaving
/// room for the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Steer {
    /// What the next section starts with, as text.
    pub marker: String,
    /// What to feed: the marker in the model's token ids.
    pub ids: Vec<u32>,
    /// Written tokens after which the next closed sentence ends the section; 0 = only
    /// at the end of a turn.
    pub after: usize,
}

impl Steer {
    /// Whether to feed [`Self::ids`] now: `written` is the answer so far (ending with
    /// the token just chosen unless `end_of_turn`), `room` whether the ids still fit
    /// in the token budget and the context.
    pub(crate) fn due(
        &self,
        written: &[u32],
        end_of_turn: bool,
        room: bool,
        decode: impl Fn(&[u32]) -> Result<String>,
    ) -> Result<bool> {
        if self.ids.is_empty() || !room {
            return Ok(false);
        }
        if !end_of_turn {
            let Some(last) = written.last() else {
                return Ok(false);
            };
            if self.after == 0 || written.len() < self.after || !closes_sentence(&decode(&[*last])?)
            {
                return Ok(false);
            }
            let text = decode(written)?;
            // Not inside a quotation, which a cut would leave open, unless it has
            // run on for [`QUOTE_WAIT`] tokens: then a cut sentence (which the
            // summary check drops) costs less than a section never written.
            let waited = written.len() >= self.after + QUOTE_WAIT;
            return Ok(
                (!crate::text::open_quote(&text) || waited) && !text.contains(self.marker.as_str())
            );
        }
        Ok(!decode(written)?.contains(self.marker.as_str()))
    }
}

/// Tokens past [`Steer::after`] that a steer waits for an open quotation to close:
/// about one long quoted sentence.
const QUOTE_WAIT: usize = 30;

/// Whether a token ends a sentence ("." or "!" or "?", maybe with a closing quote).
fn closes_sentence(token: &str) -> bool {
    token
        .trim_end()
        .trim_end_matches(['"', '”', '’', '\''])
        .ends_with(['.', '!', '?'])
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// The model produced an end-of-turn / end-of-sequence token.
    EndOfTurn,
    /// A token from [`GenerateOptions::stop_ids`] was produced.
    StopToken,
    /// `max_new_tokens` were generated.
    MaxTokens,
    /// The context window is full.
    ContextFull,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// Generated token ids, without the final stop token.
    pub ids: Vec<u32>,
    /// Their text (special tokens skipped).
    pub text: String,
    /// Why it ended.
    pub stop_reason: StopReason,
    /// Prompt length in tokens (prefix included).
    pub prompt_tokens: usize,
    /// Time spent on the prompt (only the suffix when a prefix was reused).
    pub ms_prefill: u64,
    /// Time spent generating.
    pub ms_decode: u64,
}

/// The computed state of a prompt prefix, reusable by any number of
/// [`Generator::generate_after`] calls (concurrently too).
#[derive(Debug)]
pub struct Prefix {
    ids: Vec<u32>,
    cache: KvCache,
    logits: Vec<f32>,
}

impl Prefix {
    /// The prefix's token ids.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The logits of the token after the prefix.
    pub fn logits(&self) -> &[f32] {
        &self.logits
    }
}

/// A loaded generative model: weights, tokenizer, chat template. `Send + Sync`;
/// share it behind an `Arc`.
#[derive(Debug)]
pub struct Generator {
    path: PathBuf,
    facts: ModelFacts,
    tokenizer: Tokenizer,
    /// The same tokenizer with special tokens read as plain text, for untrusted text.
    plain: Tokenizer,
    template: Option<ChatTemplate>,
    model: Transformer,
}

impl Generator {
    /// Load a GGUF model with default options.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path, &LoadOptions::default())
    }

    /// Load a GGUF model. (HF decoder folders load through [`super::hf::load_decoder`];
    /// [`super::registry`] says which a path is.)
    pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(Error::ModelMissing {
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: path.to_path_buf(),
            });
        }
        let gguf = GgufFile::open(path)?;
        let facts = gguf.facts()?;
        // Int8 by default: one 8-bit copy serves prefill and batched decode (see
        // `model::int8` for the measurements behind it).
        let weight_format = options.weight_format.unwrap_or(WeightFormat::Int8);
        // Not gemma3: candle-transformers 0.11.1 has `quantized_gemma3`, but its MLP
        // uses SiLU where Gemma 3 uses tanh-GELU, it ignores the sliding window when
        // decoding, and it precomputes 128K-position rotary tables per layer (~2.4 GB
        // for gemma-3-270m): not usable as is.
        let model = match registry::gguf_architecture(&facts.architecture) {
            Some(a) if a.family == Family::Decoder => Transformer::load(&gguf, weight_format)?,
            _ => {
                return Err(load_error(
                    path,
                    format!(
                        "unsupported architecture `{}` (supported: {})",
                        facts.architecture,
                        registry::supported(|a| a.gguf)
                    ),
                ))
            }
        };
        let tokenizer = load_tokenizer(&gguf)?;
        let token_text = |id: Option<u32>| {
            id.and_then(|i| tokenizer.id_to_token(i))
                .unwrap_or_default()
        };
        let template = match &facts.chat_template {
            Some(source) => Some(
                ChatTemplate::new(source, &token_text(facts.bos_id), &token_text(facts.eos_id))
                    .map_err(|e| load_error(path, e.to_string()))?,
            ),
            None => None,
        };
        let mut plain = tokenizer.clone();
        plain.set_encode_special_tokens(true);
        Ok(Generator {
            path: path.to_path_buf(),
            facts,
            plain,
            tokenizer,
            template,
            model,
        })
    }

    /// Assemble a generator from parts loaded elsewhere (HF directories).
    pub(crate) fn from_parts(
        path: PathBuf,
        facts: ModelFacts,
        tokenizer: Tokenizer,
        template: Option<ChatTemplate>,
        model: Transformer,
    ) -> Self {
        let mut plain = tokenizer.clone();
        plain.set_encode_special_tokens(true);
        Generator {
            path,
            facts,
            plain,
            tokenizer,
            template,
            model,
        }
    }

    /// The file (or HF directory) this model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Facts read from the file's metadata.
    pub fn facts(&self) -> &ModelFacts {
        &self.facts
    }

    /// Usable context in tokens (prompt plus generated).
    pub fn context_length(&self) -> usize {
        self.model.config().context_length
    }

    /// How projection weights are held.
    pub fn weight_format(&self) -> WeightFormat {
        self.model.format()
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Token ids of `text`. Special-token texts such as `<|im_start|>` map to
    /// their ids; nothing (no BOS) is added.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        self.tokenizer
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Token ids of untrusted `text` (article text): the texts of special tokens
    /// (`<|im_start|>`, `<|endoftext|>`, …) are tokenized as ordinary characters, so
    /// text can never produce a control token id and open or close a turn.
    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>> {
        self.plain
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Ids of the tokenizer's special (control) tokens.
    pub fn special_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .tokenizer
            .get_added_tokens_decoder()
            .iter()
            .filter(|(_, t)| t.special)
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Text of `ids`, special tokens skipped.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))
    }

    /// Render `messages` with the model's chat template, ending with the
    /// assistant prompt. A model without a template gets ChatML.
    pub fn chat_prompt(&self, messages: &[ChatMessage]) -> Result<String> {
        match &self.template {
            Some(t) => t.render(messages, true),
            None => {
                let mut out = String::new();
                for m in messages {
                    out.push_str(&format!(
                        "<|im_start|>{}\n{}<|im_end|>\n",
                        m.role, m.content
                    ));
                }
                out.push_str("<|im_start|>assistant\n");
                Ok(out)
            }
        }
    }

    /// Ids that end a turn (model EOS/EOT tokens).
    pub fn end_of_turn_ids(&self) -> &[u32] {
        &self.facts.end_of_turn_ids
    }

    /// Run a prompt prefix once; reuse the result with [`Self::generate_after`].
    pub fn prefill(&self, ids: &[u32]) -> Result<Prefix> {
        if ids.is_empty() {
            return Err(Error::Config("cannot prefill an empty prefix".into()));
        }
        self.check_fits(ids.len())?;
        let mut cache = self.model.new_cache(ids.len())?;
        let logits = self.model.forward(ids, &mut cache)?;
        Ok(Prefix {
            ids: ids.to_vec(),
            cache,
            logits,
        })
    }

    /// `prefix` followed by `ids`, as a prefix of its own (the cache is copied;
    /// `prefix` is not modified).
    pub fn extend(&self, prefix: &Prefix, ids: &[u32]) -> Result<Prefix> {
        if ids.is_empty() {
            return Err(Error::Config("cannot extend a prefix by nothing".into()));
        }
        self.check_fits(prefix.ids.len() + ids.len())?;
        let mut cache = prefix.cache.fork(ids.len(), self.context_length())?;
        let logits = self.model.forward(ids, &mut cache)?;
        Ok(Prefix {
            ids: [prefix.ids.as_slice(), ids].concat(),
            cache,
            logits,
        })
    }

    /// The logits before each token of `continuation` when it follows `prompt_ids`
    /// (teacher forcing): one vector per token, the first after the prompt. For
    /// checking this model against another runtime's choices step by step, without
    /// one near-tie sending the two down different paths.
    pub fn teacher_forced(
        &self,
        prompt_ids: &[u32],
        continuation: &[u32],
    ) -> Result<Vec<Vec<f32>>> {
        let Some((_, feed)) = continuation.split_last() else {
            return Ok(Vec::new());
        };
        let prefix = self.prefill(prompt_ids)?;
        self.check_fits(prompt_ids.len() + continuation.len())?;
        let mut cache = prefix.cache.fork(feed.len(), self.context_length())?;
        let mut out = vec![prefix.logits];
        for &token in feed {
            out.push(self.model.forward(&[token], &mut cache)?);
        }
        Ok(out)
    }

    /// Generate a continuation of `prompt_ids`.
    pub fn generate(&self, prompt_ids: &[u32], options: &GenerateOptions) -> Result<Generated> {
        if prompt_ids.is_empty() {
            return Err(Error::Config("cannot generate from an empty prompt".into()));
        }
        self.check_fits(prompt_ids.len())?;
        let start = Instant::now();
        let room = prompt_ids.len().saturating_add(options.max_new_tokens);
        let mut cache = self.model.new_cache(room)?;
        let logits = if options.max_new_tokens == 0 {
            Vec::new()
        } else {
            self.model.forward(prompt_ids, &mut cache)?
        };
        let ms_prefill = start.elapsed().as_millis() as u64;
        let seq = Sequence::new(cache, logits, prompt_ids.to_vec(), ms_prefill, options);
        self.decode_loop(seq, options)
    }

    /// Generate a continuation of `prefix` followed by `suffix_ids` (which may be
    /// empty). The prefix is not modified; its cache is copied.
    pub fn generate_after(
        &self,
        prefix: &Prefix,
        suffix_ids: &[u32],
        options: &GenerateOptions,
    ) -> Result<Generated> {
        let seq = self.start_after(prefix, suffix_ids, options)?;
        self.decode_loop(seq, options)
    }

    /// A sequence ready to decode: the prefix's cache forked, `suffix_ids` run
    /// through the model.
    fn start_after(
        &self,
        prefix: &Prefix,
        suffix_ids: &[u32],
        options: &GenerateOptions,
    ) -> Result<Sequence> {
        options.check_cancel()?;
        let total = prefix.ids.len() + suffix_ids.len();
        self.check_fits(total)?;
        let start = Instant::now();
        let mut cache = prefix.cache.fork(
            suffix_ids.len().saturating_add(options.max_new_tokens),
            self.context_length(),
        )?;
        let logits = if options.max_new_tokens == 0 {
            Vec::new()
        } else if suffix_ids.is_empty() {
            prefix.logits.clone()
        } else {
            self.model.forward(suffix_ids, &mut cache)?
        };
        let ms_prefill = start.elapsed().as_millis() as u64;
        let mut history =
            Vec::with_capacity(total + options.max_new_tokens.min(self.context_length()));
        history.extend_from_slice(&prefix.ids);
        history.extend_from_slice(suffix_ids);
        Ok(Sequence::new(cache, logits, history, ms_prefill, options))
    }

    fn decode_loop(&self, mut seq: Sequence, options: &GenerateOptions) -> Result<Generated> {
        let start = Instant::now();
        let stop_reason = loop {
            match seq.choose(self, options)? {
                Step::Done(reason) => break reason,
                Step::Feed(token) => seq.logits = self.model.forward(&[token], &mut seq.cache)?,
                Step::FeedMany(ids) => seq.logits = self.model.forward(&ids, &mut seq.cache)?,
            }
        };
        seq.finish(self, stop_reason, start.elapsed().as_millis() as u64)
    }

    /// Generate continuations of `prefix` followed by each of `suffixes`, at most
    /// `slots` of them decoding together in one [`Batch`]: when one ends the next
    /// suffix is prefilled and joins (continuous batching), so the batch stays full
    /// until the last suffixes. Results equal one [`Self::generate_after`] per suffix
    /// (test), in the same order, for any `slots`; a sequence that fails fails the
    /// whole call.
    pub fn generate_batch_after(
        &self,
        prefix: &Prefix,
        suffixes: &[Vec<u32>],
        slots: usize,
        options: &GenerateOptions,
    ) -> Result<Vec<Generated>> {
        let slots = slots.max(1);
        let mut done: Vec<Option<Generated>> = vec![None; suffixes.len()];
        let mut batch = Batch::new(self, options);
        let mut waiting = suffixes.iter().enumerate();
        loop {
            while batch.len() < slots {
                let Some((i, suffix)) = waiting.next() else {
                    break;
                };
                batch.join(i, prefix, suffix);
            }
            if batch.is_empty() {
                break;
            }
            for (i, result) in batch.step() {
                done[i] = Some(result?);
            }
        }
        Ok(done.into_iter().flatten().collect())
    }

    fn check_fits(&self, prompt_len: usize) -> Result<()> {
        if prompt_len > self.context_length() {
            return Err(Error::Article(ArticleError::new(
                ErrorKind::Model,
                format!(
                    "prompt of {prompt_len} tokens exceeds the model's context of {} tokens",
                    self.context_length()
                ),
            )));
        }
        Ok(())
    }
}

/// Sequences decoding together, each under a key of the caller's: every
/// [`Batch::step`] runs one batched forward pass over the weights for all of them
/// (the int8 kernel computes each row the same whatever the batch, so every result
/// equals [`Generator::generate_after`] alone; test), and a sequence may
/// [`Batch::join`] at any step, so a caller can keep the batch full as sequences
/// end (continuous batching).
pub struct Batch<'g, K> {
    g: &'g Generator,
    options: &'g GenerateOptions,
    /// (key, sequence, milliseconds of decoding charged to it so far)
    live: Vec<(K, Sequence, f64)>,
    /// Sequences that could not start, handed out at the next step.
    failed: Vec<(K, Error)>,
}

impl<'g, K> Batch<'g, K> {
    /// An empty batch generating with `options`.
    pub fn new(g: &'g Generator, options: &'g GenerateOptions) -> Self {
        Batch {
            g,
            options,
            live: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// Sequences joined and not yet handed out.
    pub fn len(&self) -> usize {
        self.live.len() + self.failed.len()
    }

    /// True when every sequence joined has been handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Prefill `suffix` after `prefix` (the prefix's cache is forked) and add the
    /// sequence under `key`. A sequence that cannot start (too long for the
    /// context, cancelled) is handed out with its error at the next step.
    pub fn join(&mut self, key: K, prefix: &Prefix, suffix: &[u32]) {
        match self.g.start_after(prefix, suffix, self.options) {
            Ok(seq) => self.live.push((key, seq, 0.0)),
            Err(e) => self.fail(key, e),
        }
    }

    /// Hand `key` out at the next step with `error` (e.g. a prompt that could not
    /// be built).
    pub fn fail(&mut self, key: K, error: Error) {
        self.failed.push((key, error));
    }

    /// One token for every sequence (one batched forward pass); returns the
    /// sequences that ended, with what they generated or their error (a sequence
    /// failing, e.g. on a stop, ends only itself; a failed batched pass ends every
    /// sequence in it), after those that could not start. A step's time is shared
    /// evenly among the sequences in it: that share is each result's `ms_decode`.
    pub fn step(&mut self) -> Vec<(K, Result<Generated>)> {
        let mut out: Vec<(K, Result<Generated>)> =
            self.failed.drain(..).map(|(k, e)| (k, Err(e))).collect();
        if self.live.is_empty() {
            return out;
        }
        let clock = Instant::now();
        let (g, options) = (self.g, self.options);
        let mut ended: Vec<(usize, Result<StopReason>)> = Vec::new();
        let mut feed: Vec<(usize, u32)> = Vec::new();
        for (k, (_, seq, _)) in self.live.iter_mut().enumerate() {
            match seq.choose(g, options) {
                Ok(Step::Done(reason)) => ended.push((k, Ok(reason))),
                Ok(Step::Feed(token)) => feed.push((k, token)),
                // Rare (a steering continuation): run it alone.
                Ok(Step::FeedMany(ids)) => match g.model.forward(&ids, &mut seq.cache) {
                    Ok(logits) => seq.logits = logits,
                    Err(e) => ended.push((k, Err(e))),
                },
                Err(e) => ended.push((k, Err(e))),
            }
        }
        if !feed.is_empty() {
            let tokens: Vec<u32> = feed.iter().map(|&(_, t)| t).collect();
            let mut caches: Vec<&mut KvCache> = self
                .live
                .iter_mut()
                .enumerate()
                .filter(|(k, _)| feed.iter().any(|&(j, _)| j == *k))
                .map(|(_, (_, s, _))| &mut s.cache)
                .collect();
            match g.model.forward_batch(&tokens, &mut caches) {
                Ok(logits) => {
                    for (&(k, _), l) in feed.iter().zip(logits) {
                        self.live[k].1.logits = l;
                    }
                }
                Err(e) => {
                    let failed = ArticleError::new(ErrorKind::Model, e.to_string());
                    for &(k, _) in &feed {
                        ended.push((k, Err(Error::Article(failed.clone()))));
                    }
                }
            }
        }
        let share = clock.elapsed().as_secs_f64() * 1000.0 / self.live.len().max(1) as f64;
        for (_, _, ms) in &mut self.live {
            *ms += share;
        }
        // Highest index first, so the indices still to remove stay valid.
        ended.sort_by_key(|&(k, _)| std::cmp::Reverse(k));
        out.extend(ended.into_iter().map(|(k, reason)| {
            let (key, seq, ms) = self.live.swap_remove(k);
            (
                key,
                reason.and_then(|r| seq.finish(g, r, ms.round() as u64)),
            )
        }));
        out
    }

    /// Abandon every sequence, handing back their keys.
    pub fn into_keys(self) -> Vec<K> {
        let failed = self.failed.into_iter().map(|(key, _)| key);
        failed
            .chain(self.live.into_iter().map(|(key, _, _)| key))
            .collect()
    }
}

/// What a sequence needs next.
enum Step {
    /// Finished.
    Done(StopReason),
    /// Run this one token.
    Feed(u32),
    /// Run these tokens (a steering continuation).
    FeedMany(Vec<u32>),
}

/// One sequence being decoded: its cache, the logits of its last position and
/// what it has produced.
struct Sequence {
    cache: KvCache,
    logits: Vec<f32>,
    history: Vec<u32>,
    ids: Vec<u32>,
    sampler: Sampler,
    continued: bool,
    prompt_tokens: usize,
    ms_prefill: u64,
}

impl Sequence {
    fn new(
        cache: KvCache,
        logits: Vec<f32>,
        history: Vec<u32>,
        ms_prefill: u64,
        options: &GenerateOptions,
    ) -> Self {
        Sequence {
            cache,
            logits,
            prompt_tokens: history.len(),
            history,
            ids: Vec::new(),
            sampler: Sampler::new(options.sampling),
            continued: false,
            ms_prefill,
        }
    }

    /// Pick the next token from the current logits and say what to run next.
    fn choose(&mut self, g: &Generator, options: &GenerateOptions) -> Result<Step> {
        options.check_cancel()?;
        if self.ids.len() >= options.max_new_tokens {
            return Ok(Step::Done(StopReason::MaxTokens));
        }
        if options.repetition_penalty != 1.0 {
            let from = match options.repeat_last_n {
                0 => 0,
                n => self.history.len().saturating_sub(n),
            };
            apply_repetition_penalty(
                &mut self.logits,
                &self.history[from..],
                options.repetition_penalty,
            );
        }
        let next = self.sampler.sample(&self.logits).ok_or_else(|| {
            Error::Article(ArticleError::new(
                ErrorKind::Model,
                "the model produced NaN logits",
            ))
        })?;
        let end_of_turn = g.facts.end_of_turn_ids.contains(&next);
        if end_of_turn {
            return Ok(match self.steer(g, options, true, Vec::new())? {
                Some(feed) => Step::FeedMany(feed),
                None => Step::Done(StopReason::EndOfTurn),
            });
        }
        if options.stop_ids.contains(&next) {
            return Ok(Step::Done(StopReason::StopToken));
        }
        self.ids.push(next);
        self.history.push(next);
        if self.ids.len() >= options.max_new_tokens {
            return Ok(Step::Done(StopReason::MaxTokens));
        }
        if self.cache.len() >= g.context_length() {
            return Ok(Step::Done(StopReason::ContextFull));
        }
        Ok(match self.steer(g, options, false, vec![next])? {
            Some(feed) => Step::FeedMany(feed),
            None => Step::Feed(next),
        })
    }

    /// The tokens to feed when [`GenerateOptions::steer`] is due: `pending` (not yet
    /// in the cache) then the steering ids, which join the answer.
    fn steer(
        &mut self,
        g: &Generator,
        options: &GenerateOptions,
        end_of_turn: bool,
        mut pending: Vec<u32>,
    ) -> Result<Option<Vec<u32>>> {
        let Some(steer) = options.steer.as_ref().filter(|_| !self.continued) else {
            return Ok(None);
        };
        let n = steer.ids.len();
        let room = self.ids.len() + n < options.max_new_tokens
            && self.cache.len() + pending.len() + n < g.context_length();
        if !steer.due(&self.ids, end_of_turn, room, |ids| g.decode(ids))? {
            return Ok(None);
        }
        self.continued = true;
        self.ids.extend_from_slice(&steer.ids);
        self.history.extend_from_slice(&steer.ids);
        pending.extend_from_slice(&steer.ids);
        Ok(Some(pending))
    }

    fn finish(self, g: &Generator, stop_reason: StopReason, ms_decode: u64) -> Result<Generated> {
        Ok(Generated {
            text: g.decode(&self.ids)?,
            ids: self.ids,
            stop_reason,
            prompt_tokens: self.prompt_tokens,
            ms_prefill: self.ms_prefill,
            ms_decode,
        })
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Generator>();
    is::<Prefix>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tiny::{write_tiny_gguf, TinySpec};
    use std::sync::Arc;

    fn tiny(arch: &str, spec: impl FnOnce(&mut TinySpec)) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("tiny-{arch}.gguf"));
        let mut s = TinySpec::new(arch, 42);
        spec(&mut s);
        write_tiny_gguf(&path, &s).unwrap();
        (dir, path)
    }

    fn load(path: &Path, format: WeightFormat) -> Generator {
        Generator::load_with(
            path,
            &LoadOptions {
                weight_format: Some(format),
                ..LoadOptions::default()
            },
        )
        .unwrap()
    }

    fn greedy(n: usize) -> GenerateOptions {
        GenerateOptions {
            max_new_tokens: n,
            ..GenerateOptions::default()
        }
    }

    const FORMATS: [WeightFormat; 3] = [WeightFormat::F32, WeightFormat::F16, WeightFormat::Int8];

    #[test]
    fn end_to_end_load_tokenize_template_generate() {
        for arch in ["llama", "qwen2"] {
            let (_dir, path) = tiny(arch, |_| {});
            let g = Generator::load(&path).unwrap();
            assert_eq!(g.facts().architecture, arch);
            assert_eq!(g.facts().eos_id, Some(2));
            // <|endoftext|> and <|im_end|> both end a turn.
            assert_eq!(g.end_of_turn_ids(), &[0, 2]);
            assert_eq!(g.context_length(), 128);
            assert_eq!(g.weight_format(), WeightFormat::Int8);

            let prompt = g.chat_prompt(&[ChatMessage::user("the world")]).unwrap();
            assert_eq!(
                prompt,
                "<|im_start|>system\nYou are a tiny test model.<|im_end|>\n<|im_start|>user\nthe world<|im_end|>\n<|im_start|>assistant\n"
            );
            let ids = g.encode(&prompt).unwrap();
            // Special tokens are single ids; merges apply (" world" is one token).
            assert_eq!(ids[0], 1);
            assert_eq!(ids.iter().filter(|&&i| i == 2).count(), 2);
            let world = g.tokenizer().token_to_id("Ġworld").unwrap();
            assert!(ids.contains(&world), "{ids:?}");
            assert_eq!(g.tokenizer().decode(&ids, false).unwrap(), prompt);

            let out = g.generate(&ids, &greedy(5)).unwrap();
            assert_eq!(out.prompt_tokens, ids.len());
            assert!(out.ids.len() <= 5);
            if out.stop_reason == StopReason::MaxTokens {
                assert_eq!(out.ids.len(), 5);
            }
            assert_eq!(out.text, g.decode(&out.ids).unwrap());
            // Deterministic.
            assert_eq!(g.generate(&ids, &greedy(5)).unwrap().ids, out.ids);
        }
    }

    /// A prompt that the random model continues for a while without ending its turn.
    fn long_runner(g: &Generator) -> Vec<u32> {
        for text in [
            "the world",
            "in the sea",
            "at the start",
            "we are here",
            "or not",
        ] {
            let ids = g.encode(text).unwrap();
            let out = g.generate(&ids, &greedy(12)).unwrap();
            if out.stop_reason == StopReason::MaxTokens {
                return ids;
            }
        }
        panic!("every prompt ended early");
    }

    #[test]
    fn max_new_tokens_is_respected() {
        let (_dir, path) = tiny("llama", |_| {});
        let g = load(&path, WeightFormat::Int8);
        let ids = long_runner(&g);
        for n in [0, 1, 7] {
            let out = g.generate(&ids, &greedy(n)).unwrap();
            assert_eq!(out.ids.len(), n);
            assert_eq!(out.stop_reason, StopReason::MaxTokens);
        }
        let full = g.generate(&ids, &greedy(12)).unwrap();
        let short = g.generate(&ids, &greedy(7)).unwrap();
        assert_eq!(full.ids[..7], short.ids[..]);
    }

    #[test]
    fn prefix_reuse_gives_identical_tokens() {
        for arch in ["llama", "qwen2"] {
            let (_dir, path) = tiny(arch, |_| {});
            for format in FORMATS {
                let g = load(&path, format);
                let ids = g
                    .encode("<|im_start|>user\nthe world is at the start of the sea<|im_end|>\n<|im_start|>assistant\n")
                    .unwrap();
                let opts = greedy(10);
                let whole = g.generate(&ids, &opts).unwrap();
                for split in [1, 4, ids.len() - 1, ids.len()] {
                    let prefix = g.prefill(&ids[..split]).unwrap();
                    assert_eq!(prefix.ids(), &ids[..split]);
                    let reused = g.generate_after(&prefix, &ids[split..], &opts).unwrap();
                    assert_eq!(reused.ids, whole.ids, "{arch} {format:?} split {split}");
                    assert_eq!(reused.prompt_tokens, ids.len());
                    // The prefix is not consumed or changed by use.
                    let again = g.generate_after(&prefix, &ids[split..], &opts).unwrap();
                    assert_eq!(again.ids, whole.ids);
                }
            }
        }
    }

    #[test]
    fn a_cancelled_generation_stops_with_interrupted() {
        let (_dir, path) = tiny("llama", |_| {});
        let g = load(&path, WeightFormat::Int8);
        let ids = long_runner(&g);
        let mut opts = greedy(12);
        let cancel = Cancel::new();
        opts.cancel = Some(cancel.clone());
        assert_eq!(
            g.generate(&ids, &opts).unwrap().ids.len(),
            12,
            "not yet set"
        );
        cancel.cancel();
        let prefix = g.prefill(&ids).unwrap();
        let interrupted = |r: Result<Generated>| match r {
            Err(e) => e.into_article(ErrorKind::Model).kind == ErrorKind::Interrupted,
            Ok(_) => false,
        };
        assert!(interrupted(g.generate(&ids, &opts)));
        assert!(interrupted(g.generate_after(&prefix, &[5], &opts)));
        let batch = g.generate_batch_after(&prefix, &[vec![5], vec![6]], 2, &opts);
        assert!(interrupted(batch.map(|mut v| v.remove(0))));
    }

    #[test]
    fn batched_generation_equals_one_at_a_time() {
        for arch in ["llama", "qwen2"] {
            let (_dir, path) = tiny(arch, |_| {});
            for format in FORMATS {
                let g = load(&path, format);
                let prefix = g
                    .prefill(&g.encode("<|im_start|>user\nthe").unwrap())
                    .unwrap();
                // Different lengths, an empty suffix and different budgets of room,
                // so sequences sit at different positions and finish at different steps.
                let suffixes: Vec<Vec<u32>> = ["", " world is", " sea sea the start of", " at"]
                    .iter()
                    .map(|t| g.encode(t).unwrap())
                    .collect();
                for opts in [greedy(12), {
                    let mut o = greedy(7);
                    o.repetition_penalty = 1.3;
                    o.stop_ids = g.encode(" sea").unwrap();
                    o
                }] {
                    let alone: Vec<Generated> = suffixes
                        .iter()
                        .map(|suffix| g.generate_after(&prefix, suffix, &opts).unwrap())
                        .collect();
                    // All together, and refilling: fewer slots than suffixes, so
                    // sequences join the running batch as others end.
                    for slots in [suffixes.len(), 2, 1] {
                        let batch = g
                            .generate_batch_after(&prefix, &suffixes, slots, &opts)
                            .unwrap();
                        assert_eq!(batch.len(), suffixes.len());
                        for (got, alone) in batch.iter().zip(&alone) {
                            assert_eq!(got.ids, alone.ids, "{arch} {format:?} {slots} slots");
                            assert_eq!(got.text, alone.text);
                            assert_eq!(got.stop_reason, alone.stop_reason);
                            assert_eq!(got.prompt_tokens, alone.prompt_tokens);
                        }
                    }
                }
                assert!(g
                    .generate_batch_after(&prefix, &[], 4, &greedy(3))
                    .unwrap()
                    .is_empty());
            }
        }
    }

    /// Sequences join a running batch at different steps; a join that cannot fit
    /// hands its key back and leaves the others be; each result equals the
    /// sequence generated alone.
    #[test]
    fn a_batch_takes_sequences_at_any_step() {
        let (_dir, path) = tiny("qwen2", |_| {});
        let g = load(&path, WeightFormat::Int8);
        let prefix = g
            .prefill(&g.encode("<|im_start|>user\nthe").unwrap())
            .unwrap();
        let opts = greedy(9);
        let suffixes: Vec<Vec<u32>> = [" world is", " sea", " at the start"]
            .iter()
            .map(|t| g.encode(t).unwrap())
            .collect();
        let mut batch = Batch::new(&g, &opts);
        let mut done = Vec::new();
        for (i, suffix) in suffixes.iter().enumerate() {
            batch.join(i, &prefix, suffix);
            for _ in 0..3 {
                done.extend(batch.step());
            }
        }
        assert_eq!(
            batch.len(),
            2,
            "the first has its 9 tokens, the others go on"
        );
        let too_long = vec![5; g.context_length()];
        batch.join(9, &prefix, &too_long);
        assert_eq!(batch.len(), 3);
        let mut step = batch.step();
        let (key, err) = step.remove(0);
        assert_eq!(key, 9, "handed out at the next step");
        let err = err.unwrap_err().to_string();
        assert!(err.contains("context"), "{err}");
        done.extend(step);
        while !batch.is_empty() {
            done.extend(batch.step());
        }
        done.sort_by_key(|(i, _)| *i);
        assert_eq!(done.len(), suffixes.len());
        for ((i, got), suffix) in done.into_iter().zip(&suffixes) {
            let got = got.unwrap();
            let alone = g.generate_after(&prefix, suffix, &opts).unwrap();
            assert_eq!(got.ids, alone.ids, "sequence {i}");
            assert_eq!(got.stop_reason, alone.stop_reason);
        }
    }

    #[test]
    fn formats_agree_on_the_first_token_logits() {
        let (_dir, path) = tiny("qwen2", |_| {});
        let ids: Vec<u32> = (3..40).collect();
        let logits = |format| {
            let gguf = GgufFile::open(&path).unwrap();
            let t = Transformer::load(&gguf, format).unwrap();
            let mut cache = t.new_cache(8).unwrap();
            t.forward(&ids, &mut cache).unwrap()
        };
        let exact = logits(WeightFormat::F32);
        for format in [WeightFormat::F16, WeightFormat::Int8] {
            let other = logits(format);
            let diff = exact
                .iter()
                .zip(&other)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            let scale = exact.iter().map(|a| a.abs()).fold(0f32, f32::max);
            assert!(diff < 0.05 * scale, "{format:?}: {diff} vs {scale}");
        }
    }

    #[test]
    fn stop_ids_and_end_of_turn_end_generation() {
        let (_dir, path) = tiny("llama", |_| {});
        let g = load(&path, WeightFormat::Int8);
        let ids = long_runner(&g);
        let free = g.generate(&ids, &greedy(12)).unwrap();
        let stop = free.ids[4];
        let first = free.ids.iter().position(|&t| t == stop).unwrap();
        let opts = GenerateOptions {
            stop_ids: vec![stop],
            ..greedy(12)
        };
        let out = g.generate(&ids, &opts).unwrap();
        assert_eq!(out.stop_reason, StopReason::StopToken);
        assert_eq!(out.ids, free.ids[..first]);

        // All-zero output weights: every logit ties, greedy picks id 0,
        // `<|endoftext|>`, which ends the turn at once.
        let (_dir2, path2) = tiny("llama", |s| s.zero_output = true);
        let g2 = load(&path2, WeightFormat::Int8);
        let out = g2.generate(&ids, &greedy(12)).unwrap();
        assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        assert!(out.ids.is_empty() && out.text.is_empty());

        // Steering: at the end of the turn the continuation is fed once, then the
        // model (which can only end its turn) stops.
        let cont = g2.encode("world").unwrap();
        let steer = GenerateOptions {
            steer: Some(Steer {
                marker: "world".into(),
                ids: cont.clone(),
                after: 0,
            }),
            ..greedy(12)
        };
        let out = g2.generate(&ids, &steer).unwrap();
        assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        assert_eq!(out.ids, cont);
        assert_eq!(out.text, "world");
        // Not when there is no room for it.
        let out = g2
            .generate(
                &ids,
                &GenerateOptions {
                    max_new_tokens: cont.len(),
                    ..steer
                },
            )
            .unwrap();
        assert!(out.ids.is_empty());
    }

    #[test]
    fn a_long_section_is_steered_at_its_next_full_stop() {
        // Ids are indices into these token texts.
        let text = ["Police", " said", ".", " \"", "No", ".\"", "CLAIMS:"];
        let decode =
            |ids: &[u32]| -> Result<String> { Ok(ids.iter().map(|&i| text[i as usize]).collect()) };
        let steer = Steer {
            marker: "CLAIMS:".into(),
            ids: vec![9, 9],
            after: 3,
        };
        let due =
            |written: &[u32], eot: bool, room: bool| steer.due(written, eot, room, decode).unwrap();
        // At a full stop once `after` tokens are written; not before, not mid-sentence.
        assert!(due(&[0, 1, 2], false, true));
        assert!(!due(&[0, 2], false, true));
        assert!(!due(&[0, 1, 2, 0], false, true));
        // Not inside an open quotation; at its closing.
        assert!(!due(&[0, 1, 3, 4, 2], false, true));
        assert!(due(&[0, 1, 3, 4, 5], false, true));
        // ...unless the quotation has run on for `QUOTE_WAIT` tokens past `after`.
        let long_quote = [&[0, 1, 3][..], &[4; QUOTE_WAIT - 2], &[2]].concat();
        assert!(!due(&long_quote, false, true));
        assert!(due(&[&[4][..], &long_quote].concat(), false, true));
        // Never when the marker is written or there is no room; `after: 0` only at
        // the end of a turn, which steers whenever the marker is missing.
        assert!(!due(&[6, 0, 1, 2], false, true));
        assert!(!due(&[0, 1, 2], false, false));
        assert!(due(&[0], true, true));
        assert!(!due(&[6], true, true));
        let eot_only = Steer {
            after: 0,
            ..steer.clone()
        };
        assert!(!eot_only.due(&[0, 1, 2], false, true, decode).unwrap());
    }

    #[test]
    fn context_limits() {
        let (_dir, path) = tiny("qwen2", |s| s.context_length = 16);
        let g = load(&path, WeightFormat::F32);
        let too_long: Vec<u32> = vec![5; 17];
        let err = g.generate(&too_long, &greedy(1)).unwrap_err();
        match err {
            Error::Article(a) => assert_eq!(a.kind, ErrorKind::Model),
            other => panic!("unexpected {other:?}"),
        }
        assert!(g.prefill(&too_long).is_err());
        // A prompt that fits generates until the context is full, never past it.
        let out = g.generate(&[5; 12], &greedy(50)).unwrap();
        if out.stop_reason == StopReason::ContextFull {
            assert_eq!(out.ids.len(), 16 - 12 + 1);
        } else {
            assert_eq!(out.stop_reason, StopReason::EndOfTurn);
        }
        // An unbounded budget allocates nothing absurd and stops at the context.
        let out = g.generate(&[5; 4], &greedy(usize::MAX)).unwrap();
        assert!(out.ids.len() <= 16 - 4 + 1);
        let prefix = g.prefill(&[5; 3]).unwrap();
        let out = g
            .generate_after(&prefix, &[6], &greedy(usize::MAX))
            .unwrap();
        assert!(out.ids.len() <= 16 - 4 + 1);
        assert!(g.generate(&[], &greedy(1)).is_err());
        assert!(g.generate(&[100_000], &greedy(1)).is_err());
    }

    #[test]
    fn seeded_sampling_is_reproducible() {
        let (_dir, path) = tiny("llama", |_| {});
        let g = load(&path, WeightFormat::Int8);
        let ids = g.encode("the world").unwrap();
        let opts = |seed| GenerateOptions {
            max_new_tokens: 16,
            sampling: Sampling::Seeded {
                seed,
                temperature: 1.5,
                top_p: 0.95,
            },
            repetition_penalty: 1.3,
            ..GenerateOptions::default()
        };
        let a = g.generate(&ids, &opts(1)).unwrap();
        assert_eq!(a.ids, g.generate(&ids, &opts(1)).unwrap().ids);
        let others: Vec<_> = (2..6)
            .map(|s| g.generate(&ids, &opts(s)).unwrap().ids)
            .collect();
        assert!(others.iter().any(|o| *o != a.ids));
    }

    #[test]
    fn one_model_serves_many_threads() {
        let (_dir, path) = tiny("qwen2", |_| {});
        let g = Arc::new(load(&path, WeightFormat::Int8));
        let prefix = Arc::new(g.prefill(&g.encode("<|im_start|>user\n").unwrap()).unwrap());
        let texts = ["the world", "at the sea", "we are in", "or the start"];
        let expected: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| {
                let s = g.encode(t).unwrap();
                g.generate_after(&prefix, &s, &greedy(8)).unwrap().ids
            })
            .collect();
        let handles: Vec<_> = texts
            .iter()
            .map(|t| {
                let (g, prefix, t) = (g.clone(), prefix.clone(), t.to_string());
                std::thread::spawn(move || {
                    let s = g.encode(&t).unwrap();
                    g.generate_after(&prefix, &s, &greedy(8)).unwrap().ids
                })
            })
            .collect();
        let got: Vec<Vec<u32>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn unknown_architecture_and_missing_file() {
        let (_dir, path) = tiny("llama", |_| {});
        // Rewrite the architecture string in place ("llama" -> "mamba", same length).
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(5).position(|w| w == b"llama").unwrap();
        bytes[at..at + 5].copy_from_slice(b"mamba");
        std::fs::write(&path, &bytes).unwrap();
        match Generator::load(&path).unwrap_err() {
            Error::ModelLoad { message, .. } => assert!(message.contains("mamba"), "{message}"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            Generator::load(path.with_extension("missing")).unwrap_err(),
            Error::ModelMissing { .. }
        ));
    }
}
