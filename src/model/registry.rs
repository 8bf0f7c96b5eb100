//! Where the models are and what they are, in one place: the architectures brief
//! runs, the known model names and the defaults, format sniffing (GGUF file, Hugging
//! Face decoder or encoder-decoder folder) and content hashing.
//!
//! This module only *finds* models: it turns `--generator NAME|PATH` and the models
//! folder into typed [`GeneratorSource`]s and [`EncoderSource`]s. Building a model
//! from one is the loaders' job ([`super::generator::Generator::load`] for GGUF,
//! [`super::hf::load_decoder`], [`super::t5::T5Model::load`],
//! [`super::encoder::BertEncoder::load`]); the generate stage picks the loader by
//! matching on the source.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::files::{self, CONFIG_FILE, WEIGHTS_FILE};
use super::gguf::load_error;
use crate::error::{Error, Result};

/// The sentence encoder `brief run` uses (a folder under the models directory).
pub const DEFAULT_ENCODER: &str = "all-MiniLM-L6-v2";

/// The generator `brief run` uses unless told otherwise: Qwen2.5-0.5B wrote the
/// better-grounded summaries and claims on the BBC set (README, "Quality").
pub const DEFAULT_GENERATOR: &str = "qwen2.5";

/// How a generative architecture produces text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Decoder-only: chat template, one forward pass per token over a KV cache.
    Decoder,
    /// Encoder-decoder: the prompt goes through the encoder, the answer out of the
    /// decoder.
    Seq2Seq,
}

/// A generative architecture brief runs, and in which file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Architecture {
    /// The name in GGUF's `general.architecture` and HF's `config.json` `model_type`.
    pub name: &'static str,
    /// Decoder-only or encoder-decoder.
    pub family: Family,
    /// Loadable from a GGUF file.
    pub gguf: bool,
    /// Loadable from a Hugging Face safetensors folder.
    pub hf: bool,
}

/// Every generative architecture brief runs. Adding one means a row here and a
/// forward pass in `model/` (see [`super::transformer`], [`super::t5`]).
pub const ARCHITECTURES: &[Architecture] = &[
    Architecture {
        name: "llama",
        family: Family::Decoder,
        gguf: true,
        hf: true,
    },
    Architecture {
        name: "qwen2",
        family: Family::Decoder,
        gguf: true,
        hf: true,
    },
    Architecture {
        name: "t5",
        family: Family::Seq2Seq,
        gguf: false,
        hf: true,
    },
];

/// The architectures loadable from one format, by name, comma-separated (for errors).
pub fn supported(format: fn(&Architecture) -> bool) -> String {
    ARCHITECTURES
        .iter()
        .filter(|a| format(a))
        .map(|a| a.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The architecture `name` of a GGUF file, if brief runs it from GGUF.
pub fn gguf_architecture(name: &str) -> Option<&'static Architecture> {
    ARCHITECTURES.iter().find(|a| a.gguf && a.name == name)
}

/// The architecture `model_type` of an HF folder, if brief runs it from safetensors.
pub fn hf_architecture(model_type: &str) -> Option<&'static Architecture> {
    ARCHITECTURES.iter().find(|a| a.hf && a.name == model_type)
}

/// A generator `models/fetch` downloads, known by a short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownGenerator {
    /// What `--generator` accepts, e.g. `qwen2.5`.
    pub name: &'static str,
    /// Its folder under the models directory (also accepted as a name).
    pub dir: &'static str,
    /// The GGUF file in that folder.
    pub file: &'static str,
}

/// Generators known by name (`models/fetch` installs them).
pub const KNOWN_GENERATORS: &[KnownGenerator] = &[
    KnownGenerator {
        name: "smollm2",
        dir: "smollm2-135m-instruct",
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    },
    KnownGenerator {
        name: "qwen2.5",
        dir: "qwen2.5-coder-0.5b-instruct",
        file: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    },
];

/// Where a generator's files are and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneratorFormat {
    /// A GGUF file (llama / qwen2).
    Gguf,
    /// A Hugging Face decoder-only folder (`llama` / `qwen2`).
    HfDecoder,
    /// A Hugging Face encoder-decoder folder (`t5`).
    HfSeq2Seq,
}

/// A generator found on disk (not loaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorSource {
    /// Name for records and the manifest (known folder name, file stem or folder name).
    pub name: String,
    /// The GGUF file or the HF folder.
    pub path: PathBuf,
    /// How to load it.
    pub format: GeneratorFormat,
}

impl GeneratorSource {
    /// Resolve `--generator NAME|PATH`: a known short or folder name under
    /// `models_dir`, a `.gguf` file, a Hugging Face model folder (with `config.json`),
    /// or a folder holding exactly one `.gguf`. A known model that is not downloaded
    /// is [`Error::ModelMissing`] (whose message says to run `models/fetch`); an HF
    /// folder of an unsupported `model_type` is [`Error::ModelLoad`] naming the
    /// supported ones.
    pub fn resolve(name_or_path: &str, models_dir: &Path) -> Result<Self> {
        let source = Self::locate(name_or_path, models_dir)?;
        files::require(&source.path, &source.name)?;
        Ok(source)
    }

    fn locate(name_or_path: &str, models_dir: &Path) -> Result<Self> {
        let named = |name: String, path: PathBuf, format| GeneratorSource { name, path, format };
        if let Some(k) = KNOWN_GENERATORS
            .iter()
            .find(|k| name_or_path == k.name || name_or_path == k.dir)
        {
            let path = models_dir.join(k.dir).join(k.file);
            return Ok(named(k.dir.to_string(), path, GeneratorFormat::Gguf));
        }
        let p = PathBuf::from(name_or_path);
        let stem = |p: &Path| p.file_name().map(|s| s.to_string_lossy().to_string());
        if is_hf_dir(&p) {
            let name = stem(&p.canonicalize().unwrap_or_else(|_| p.clone()));
            let format = match hf_model_type(&p)?.family {
                Family::Decoder => GeneratorFormat::HfDecoder,
                Family::Seq2Seq => GeneratorFormat::HfSeq2Seq,
            };
            return Ok(named(name.unwrap_or_else(|| "generator".into()), p, format));
        }
        if p.is_file() {
            let name = p
                .file_stem()
                .map_or("generator".into(), |s| s.to_string_lossy().to_string());
            return Ok(named(name, p, GeneratorFormat::Gguf));
        }
        if p.is_dir() {
            let ggufs: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| Error::io(&p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "gguf"))
                .collect();
            if let [one] = ggufs.as_slice() {
                let name = stem(&p).unwrap_or_else(|| "generator".into());
                return Ok(named(name, one.clone(), GeneratorFormat::Gguf));
            }
        }
        Err(Error::Config(format!(
            "unknown generator {name_or_path:?}: give one of {}, a path to a .gguf file, or a Hugging Face model folder with config.json",
            KNOWN_GENERATORS
                .iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    /// Content hash identifying the model: the GGUF file's sha256, or for an HF
    /// folder that of its weights ([`weights_sha256`]).
    pub fn sha256(&self) -> Result<String> {
        match self.format {
            GeneratorFormat::Gguf => files::file_sha256(&self.path),
            GeneratorFormat::HfDecoder | GeneratorFormat::HfSeq2Seq => weights_sha256(&self.path),
        }
    }
}

/// A sentence encoder found on disk (a BERT safetensors folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderSource {
    /// Its name (the folder name).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
}

impl EncoderSource {
    /// The default encoder under `models_dir`; [`Error::ModelMissing`] when its
    /// weights are not there.
    pub fn default_in(models_dir: &Path) -> Result<Self> {
        let source = EncoderSource {
            name: DEFAULT_ENCODER.into(),
            dir: models_dir.join(DEFAULT_ENCODER),
        };
        files::require(&source.weights(), &source.name)?;
        Ok(source)
    }

    /// The weights file.
    pub fn weights(&self) -> PathBuf {
        self.dir.join(WEIGHTS_FILE)
    }

    /// The weights' sha256.
    pub fn sha256(&self) -> Result<String> {
        files::file_sha256(&self.weights())
    }
}

/// True when `path` is a directory holding a `config.json` (a Hugging Face model
/// folder).
pub fn is_hf_dir(path: &Path) -> bool {
    path.is_dir() && path.join(CONFIG_FILE).is_file()
}

/// The architecture named by `model_type` in the folder's `config.json`; a missing
/// field or an architecture brief does not run is a load error naming the supported
/// ones.
pub fn hf_model_type(dir: &Path) -> Result<&'static Architecture> {
    hf_model_type_of(dir, &files::read_json(dir, CONFIG_FILE)?)
}

/// [`hf_model_type`] of an already parsed `config.json`.
pub fn hf_model_type_of(dir: &Path, config: &serde_json::Value) -> Result<&'static Architecture> {
    let kind = config
        .get("model_type")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| load_error(dir, "config.json has no `model_type`"))?;
    hf_architecture(kind).ok_or_else(|| unsupported_model_type(dir, kind))
}

/// The load error for an HF folder whose `model_type` brief does not run.
pub fn unsupported_model_type(dir: &Path, kind: &str) -> Error {
    load_error(
        dir,
        format!(
            "unsupported model_type `{kind}` in config.json (supported: {})",
            supported(|a| a.hf)
        ),
    )
}

/// Content hash of a model directory's weights: the file's sha256 for a single
/// file, else the sha256 of the shards' `<sha256>  <name>` lines.
pub fn weights_sha256(dir: &Path) -> Result<String> {
    let files = files::weight_files(dir)?;
    if let [one] = files.as_slice() {
        return files::file_sha256(one);
    }
    let mut hasher = Sha256::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        hasher.update(format!("{}  {name}\n", files::file_sha256(f)?));
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_table_answers_per_format() {
        assert_eq!(supported(|a| a.gguf), "llama, qwen2");
        assert_eq!(supported(|a| a.hf), "llama, qwen2, t5");
        assert!(gguf_architecture("t5").is_none());
        assert_eq!(hf_architecture("t5").unwrap().family, Family::Seq2Seq);
        assert_eq!(gguf_architecture("qwen2").unwrap().family, Family::Decoder);
        assert!(hf_architecture("gpt_neox").is_none());
    }

    #[test]
    fn known_names_resolve_under_the_models_folder() {
        let models = tempfile::tempdir().unwrap();
        // Not downloaded: the error says to fetch it.
        let err = GeneratorSource::resolve("qwen2.5", models.path()).unwrap_err();
        assert!(matches!(err, Error::ModelMissing { .. }), "{err:?}");
        let k = KNOWN_GENERATORS[0];
        std::fs::create_dir_all(models.path().join(k.dir)).unwrap();
        std::fs::write(models.path().join(k.dir).join(k.file), b"x").unwrap();
        for name in [k.name, k.dir] {
            let s = GeneratorSource::resolve(name, models.path()).unwrap();
            assert_eq!(s.name, k.dir);
            assert_eq!(s.format, GeneratorFormat::Gguf);
            assert_eq!(s.path, models.path().join(k.dir).join(k.file));
        }
        // A folder with exactly one .gguf is that file.
        let s =
            GeneratorSource::resolve(models.path().join(k.dir).to_str().unwrap(), models.path())
                .unwrap();
        assert_eq!(s.path, models.path().join(k.dir).join(k.file));
        assert_eq!(s.name, k.dir);
    }

    #[test]
    fn encoder_source_requires_its_weights() {
        let models = tempfile::tempdir().unwrap();
        let err = EncoderSource::default_in(models.path()).unwrap_err();
        assert!(
            matches!(&err, Error::ModelMissing { name, .. } if name == DEFAULT_ENCODER),
            "{err:?}"
        );
        let dir = models.path().join(DEFAULT_ENCODER);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(WEIGHTS_FILE), b"w").unwrap();
        let s = EncoderSource::default_in(models.path()).unwrap();
        assert_eq!(s.dir, dir);
        assert_eq!(s.sha256().unwrap().len(), 64);
    }
}
