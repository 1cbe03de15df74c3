//! MNIST's IDX files, gzip-compressed or raw: a big-endian header (two zero bytes, a type byte,
//! the number of dimensions, then each dimension as a u32) followed by the data. Only unsigned
//! bytes (type 0x08) occur in MNIST: images have magic 2051 (3 dimensions), labels 2049 (1).

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The magic number of an IDX image file (unsigned bytes, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// The magic number of an IDX label file (unsigned bytes, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// An IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Idx {
    pub magic: u32,
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Whether a file starts with gzip's magic bytes.
fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Whether a file looks like IDX (gzip-compressed or raw), judged from its first bytes.
pub fn looks_like_idx(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    if f.read_exact(&mut head).is_err() {
        return false;
    }
    is_gzip(&head) || (head[0] == 0 && head[1] == 0 && head[2] == 0x08)
}

/// The most bytes a gzip'd IDX file may decompress to: refused beyond it before allocating
/// (a small file that inflates to gigabytes is a gzip bomb, not a data set).
pub const MAX_DECOMPRESSED: u64 = 4 << 30;

/// Reads an IDX file of unsigned bytes, decompressing it if it is gzip. A gzip'd file is
/// inflated no further than its own header says the data runs (plus one byte, to tell a file
/// that goes on), and never past [`MAX_DECOMPRESSED`].
pub fn read_idx(path: &Path) -> Result<Idx> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = if is_gzip(&raw) { inflate(path, &raw)? } else { raw };
    if bytes.len() < 4 {
        return Err(Error::file(path, format!("{} bytes: too short for an IDX header", bytes.len())));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err(Error::file(
            path,
            format!(
                "magic number {magic:#010x} is not an IDX file of unsigned bytes (expected {IMAGES_MAGIC} for images or {LABELS_MAGIC} for labels)"
            ),
        ));
    }
    let rank = bytes[3] as usize;
    let header = 4 + 4 * rank;
    if rank == 0 || bytes.len() < header {
        return Err(Error::file(
            path,
            format!("the header announces {rank} dimensions but the file ends at byte {}", bytes.len()),
        ));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize)
        .collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let found = bytes.len() - header;
    match expected {
        Some(n) if n == found => {}
        Some(n) if n > found => {
            return Err(Error::file(
                path,
                format!("truncated: dimensions {dims:?} need {n} bytes of data, the file has {found}"),
            ));
        }
        Some(n) => {
            return Err(Error::file(
                path,
                format!("{} bytes after the {n} bytes of data that dimensions {dims:?} describe", found - n),
            ));
        }
        None => return Err(Error::file(path, format!("dimensions {dims:?} are too large"))),
    }
    let mut data = bytes;
    data.drain(..header); // a move within the buffer, not a second 47 MB allocation
    Ok(Idx { magic, dims, data })
}

/// A gzip'd IDX file inflated: its header first, then no more data than the header describes.
fn inflate(path: &Path, raw: &[u8]) -> Result<Vec<u8>> {
    let failed = |e: std::io::Error| Error::file(path, format!("cannot decompress the gzip data: {e}"));
    let mut stream = flate2::read::GzDecoder::new(raw);
    let mut out = Vec::new();
    (&mut stream).take(4).read_to_end(&mut out).map_err(failed)?;
    let rank = if out.len() == 4 { out[3] as u64 } else { 0 };
    (&mut stream).take(4 * rank).read_to_end(&mut out).map_err(failed)?;
    let data = out[4.min(out.len())..]
        .chunks_exact(4)
        .map(|d| u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as u64)
        .try_fold(1u64, |n, d| n.checked_mul(d));
    let limit = match data {
        Some(n) if n <= MAX_DECOMPRESSED => n + 1,
        _ => {
            return Err(Error::file(
                path,
                format!("the header announces more than {} GiB of data; refused", MAX_DECOMPRESSED >> 30),
            ));
        }
    };
    stream.take(limit).read_to_end(&mut out).map_err(failed)?;
    Ok(out)
}

/// The images of an IDX image file as features: one row per image, pixels scaled to [0, 1].
/// Also returns the image's (rows, columns).
pub fn load_images(images: &Path) -> Result<(Tensor<f32>, (usize, usize))> {
    let img = read_idx(images)?;
    if img.magic != IMAGES_MAGIC {
        return Err(Error::file(images, format!("magic number {} is not an image file ({IMAGES_MAGIC})", img.magic)));
    }
    let (count, rows, cols) = (img.dims[0], img.dims[1], img.dims[2]);
    // On all cores: the conversion, and the first touch of each page of the f32 copy, cost as
    // much as inflating the file.
    let mut pixels = vec![0f32; img.data.len()];
    pixels.par_chunks_mut(1 << 16).zip(img.data.par_chunks(1 << 16)).for_each(|(out, bytes)| {
        out.iter_mut().zip(bytes).for_each(|(o, &p)| *o = p as f32 / 255.0);
    });
    let features = Tensor::new(pixels, [count, rows * cols]);
    Ok((features, (rows, cols)))
}

/// MNIST images and labels as a dataset: pixels scaled to [0, 1], one row per image, class
/// index = the digit.
pub fn load_mnist(images: &Path, labels: &Path) -> Result<Dataset> {
    let (features, (rows, cols)) = load_images(images)?;
    let count = features.dims()[0];
    let lab = read_idx(labels)?;
    if lab.magic != LABELS_MAGIC {
        return Err(Error::file(labels, format!("magic number {} is not a label file ({LABELS_MAGIC})", lab.magic)));
    }
    if lab.dims[0] != count {
        return Err(Error::invalid(format!(
            "{} holds {count} images but {} holds {} labels",
            images.display(),
            labels.display(),
            lab.dims[0]
        )));
    }
    let classes = lab.data.iter().copied().max().map_or(0, |m| m as usize + 1).max(10);
    let targets = Targets::Classes {
        labels: lab.data.iter().map(|&l| l as usize).collect(),
        names: (0..classes).map(|c| c.to_string()).collect(),
    };
    let feature_names = (0..rows).flat_map(|r| (0..cols).map(move |c| format!("pixel_{r}_{c}"))).collect();
    Ok(Dataset { features, targets, feature_names, target_column: None, image: Some([1, rows, cols]) })
}
