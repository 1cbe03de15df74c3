//! Images as practitioners keep them: a folder with one subfolder per class (torchvision's
//! `ImageFolder` layout) of PNG or JPEG files, gray or colour, decoded by the `image` crate on
//! every core, resized to one size and scaled to [0, 1] as MNIST's IDX pixels are. A file that
//! is not a readable image (truncated, another format under an image's name) or has another
//! number of channels than the first is counted and named, and left out or refused as the
//! user chooses; nothing in a folder makes the loader panic or allocate without a bound.

use std::path::{Path, PathBuf};

use image::imageops::FilterType;
use image::{DynamicImage, ImageReader, Limits};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The file names an image folder's pictures have (compared without case).
pub const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// The largest picture decoded, per side (a larger one is a bad file, not an abort).
pub const MAX_SIDE: u32 = 8_192;

/// The most memory a folder's pixels may take once decoded, as f32 (checked before decoding).
pub const MAX_PIXEL_BYTES: usize = 8 << 30;

/// What to do with a file that is not a readable image of the folder's kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum BadImages {
    /// Leave it out, and say which and how many.
    #[default]
    Skip,
    /// Stop with an error naming them.
    Refuse,
}

/// How a folder is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolderOptions {
    /// [height, width] every image is resized to (default: the first image's).
    pub size: Option<[usize; 2]>,
    /// [channels, height, width] images must have (a model's: the folder must fit it).
    pub shape: Option<[usize; 3]>,
    pub bad: BadImages,
}

/// The pictures found under a folder: each file with its class (the subfolder under the root
/// it sits in; `None` for a file directly in the root).
pub struct Listing {
    pub files: Vec<(PathBuf, Option<String>)>,
    /// Files left out because their names are not PNG or JPEG ones.
    pub other_files: usize,
}

impl Listing {
    /// What a user hears about the files left out for their names, if any.
    pub fn other_files_note(&self, root: &Path) -> Option<String> {
        (self.other_files > 0)
            .then(|| format!("{}: {} files that are not PNG or JPEG left out", root.display(), self.other_files))
    }
}

/// Every PNG or JPEG file under `root` (sorted, so a listing is the same on every machine),
/// with the class its first-level subfolder names.
pub fn list(root: &Path) -> Result<Listing> {
    let mut listing = Listing { files: vec![], other_files: 0 };
    let mut stack = vec![(root.to_path_buf(), None::<String>)];
    while let Some((dir, class)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries.into_iter().rev() {
            if path.is_dir() {
                let class = class.clone().or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
                stack.push((path, class));
            } else if is_image_name(&path) {
                listing.files.push((path, class.clone()));
            } else {
                listing.other_files += 1;
            }
        }
    }
    listing.files.sort();
    Ok(listing)
}

/// Whether a file's name says PNG or JPEG.
pub fn is_image_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Images read from files: their pixels [images, channels·height·width], each image's
/// [channels, height, width], and the files that could not be used with why.
pub struct Pixels {
    pub features: Tensor<f32>,
    pub shape: [usize; 3],
    /// The files read, in the order of `features`' rows.
    pub files: Vec<PathBuf>,
    pub bad: Vec<(PathBuf, String)>,
}

/// Decodes one file, within the size bound.
fn decode(path: &Path) -> std::result::Result<DynamicImage, String> {
    let mut reader = ImageReader::open(path).map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let reader = reader.with_guessed_format().map_err(|e| e.to_string())?;
    reader.decode().map_err(|e| e.to_string())
}

/// Channels of a decoded image as the network sees it: 1 for gray, 3 for colour (alpha is
/// dropped).
fn channels_of(image: &DynamicImage) -> usize {
    if image.color().has_color() { 3 } else { 1 }
}

/// The pixels of `image` resized to `[height, width]` with `channels` channels, scaled to
/// [0, 1], channel by channel (PyTorch's layout).
fn pixels_of(image: &DynamicImage, [channels, height, width]: [usize; 3]) -> Vec<f32> {
    let resized = if (image.height() as usize, image.width() as usize) == (height, width) {
        image.clone()
    } else {
        image.resize_exact(width as u32, height as u32, FilterType::Triangle)
    };
    let mut out = vec![0f32; channels * height * width];
    if channels == 1 {
        for (o, &p) in out.iter_mut().zip(resized.to_luma8().as_raw()) {
            *o = p as f32 / 255.0;
        }
    } else {
        let rgb = resized.to_rgb8();
        for (i, px) in rgb.as_raw().chunks_exact(3).enumerate() {
            for c in 0..3 {
                out[c * height * width + i] = px[c] as f32 / 255.0;
            }
        }
    }
    out
}

/// Reads `files` as images of one shape: `options.shape` if given (a model's), else the first
/// readable file's channels and `options.size` or its size. Files that cannot be decoded or
/// have other channels are `bad` (an error if `options.bad` refuses them).
pub fn read_images(files: &[PathBuf], options: FolderOptions) -> Result<Pixels> {
    let first = files.iter().find_map(|f| decode(f).ok());
    let shape = match (options.shape, &first) {
        (Some(shape), _) => shape,
        (None, Some(image)) => {
            let [h, w] = options.size.unwrap_or([image.height() as usize, image.width() as usize]);
            [channels_of(image), h, w]
        }
        (None, None) => {
            let why = if files.is_empty() { "no PNG or JPEG files" } else { "no file that decodes as an image" };
            return Err(Error::invalid(format!("{why} among the {} files given", files.len())));
        }
    };
    let per_image = shape.iter().product::<usize>();
    let bytes = per_image.saturating_mul(files.len()).saturating_mul(4);
    if bytes > MAX_PIXEL_BYTES || per_image == 0 {
        return Err(Error::invalid(format!(
            "{} images of {}×{}×{} would take {:.1} GiB as f32, more than the {} GiB backprop allows; give a smaller \
             --image-size or fewer files",
            files.len(),
            shape[0],
            shape[1],
            shape[2],
            bytes as f64 / (1u64 << 30) as f64,
            MAX_PIXEL_BYTES >> 30
        )));
    }
    let decoded: Vec<std::result::Result<Vec<f32>, String>> = files
        .par_iter()
        .map(|path| {
            let image = decode(path)?;
            let channels = channels_of(&image);
            if channels != shape[0] {
                let kind = |c| if c == 1 { "gray" } else { "colour" };
                return Err(format!("{} ({channels} channels), but the images are {}", kind(channels), kind(shape[0])));
            }
            Ok(pixels_of(&image, shape))
        })
        .collect();
    let mut features = Vec::with_capacity(per_image * files.len());
    let (mut read, mut bad) = (vec![], vec![]);
    for (path, result) in files.iter().zip(decoded) {
        match result {
            Ok(pixels) => {
                features.extend(pixels);
                read.push(path.clone());
            }
            Err(why) => bad.push((path.clone(), why)),
        }
    }
    if !bad.is_empty() && options.bad == BadImages::Refuse {
        return Err(Error::invalid(format!(
            "{} of {} files are not usable images (--bad-images refuse): {}",
            bad.len(),
            files.len(),
            describe_bad(&bad)
        )));
    }
    let n = read.len();
    Ok(Pixels { features: Tensor::new(features, [n, per_image]), shape, files: read, bad })
}

/// The first few bad files with why, and how many more.
pub fn describe_bad(bad: &[(PathBuf, String)]) -> String {
    let mut text: Vec<String> = bad.iter().take(5).map(|(p, why)| format!("{}: {why}", p.display())).collect();
    if bad.len() > 5 {
        text.push(format!("and {} more", bad.len() - 5));
    }
    text.join("; ")
}

/// A folder of class subfolders as a dataset, with the notes a user should hear (files left
/// out). Classes are the subfolders' names in sorted order, unless `classes` gives them (a
/// model's, or a training folder's for its test folder): then a subfolder of another name is
/// an error.
pub fn load_image_folder(
    root: &Path,
    options: FolderOptions,
    classes: Option<&[String]>,
) -> Result<(Dataset, Vec<String>)> {
    let listing = list(root)?;
    if let Some((path, _)) = listing.files.iter().find(|(_, class)| class.is_none()) {
        return Err(Error::file(
            root,
            format!(
                "{} sits directly in the folder: training images go in one subfolder per class ({}/cat/1.png, …)",
                path.display(),
                root.display()
            ),
        ));
    }
    let names: Vec<String> = match classes {
        Some(names) => names.to_vec(),
        None => {
            let mut names: Vec<String> = listing.files.iter().filter_map(|(_, c)| c.clone()).collect();
            names.dedup();
            names
        }
    };
    if names.len() < 2 && classes.is_none() {
        return Err(Error::file(
            root,
            format!("{} class subfolders with images; a classifier needs 2 at least", names.len()),
        ));
    }
    let files: Vec<PathBuf> = listing.files.iter().map(|(p, _)| p.clone()).collect();
    let pixels = read_images(&files, options)?;
    let class_of: std::collections::HashMap<&Path, &str> =
        listing.files.iter().map(|(p, c)| (p.as_path(), c.as_deref().expect("checked above"))).collect();
    let labels = pixels
        .files
        .iter()
        .map(|p| {
            let class = class_of[p.as_path()];
            names.iter().position(|n| n == class).ok_or_else(|| {
                Error::file(root, format!("class {class:?} is not one the model knows ({})", names.join(", ")))
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    let mut notes = vec![];
    if !pixels.bad.is_empty() {
        notes.push(format!(
            "{}: {} of {} image files left out (--bad-images skip): {}",
            root.display(),
            pixels.bad.len(),
            files.len(),
            describe_bad(&pixels.bad)
        ));
    }
    notes.extend(listing.other_files_note(root));
    let [c, h, w] = pixels.shape;
    let feature_names =
        (0..c).flat_map(|k| (0..h).flat_map(move |y| (0..w).map(move |x| format!("c{k}_y{y}_x{x}")))).collect();
    let dataset = Dataset {
        features: pixels.features,
        targets: Targets::Classes { labels, names },
        feature_names,
        target_column: None,
        image: Some(pixels.shape),
    };
    Ok((dataset, notes))
}
