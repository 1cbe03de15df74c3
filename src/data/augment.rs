//! Augmentation of training images: each image of a batch moved by a random shift of a few
//! pixels, turned by a small random angle and (for images where left and right mean the same,
//! not digits) mirrored, all drawn from the step's seeded generator, so a run is reproducible.
//! One affine map per image, sampled bilinearly; pixels from outside the image are 0 (the
//! background of MNIST-like images, black for photographs, as torchvision's `RandomAffine`).

use rand::Rng;
use serde::{Deserialize, Serialize};

/// How training images are varied, per image and per step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// The largest shift, in pixels, along each axis (drawn uniformly in ±shift).
    pub shift: f64,
    /// The largest rotation, in degrees (drawn uniformly in ±rotate).
    pub rotate: f64,
    /// Mirror left to right with probability ½.
    pub flip: bool,
}

impl Augmentation {
    /// Whether this varies anything.
    pub fn is_identity(&self) -> bool {
        self.shift == 0.0 && self.rotate == 0.0 && !self.flip
    }

    /// Varies each image of `batch` (rows of `[channels, height, width]` pixels) in place.
    pub fn apply(&self, batch: &mut [f32], [channels, height, width]: [usize; 3], rng: &mut impl Rng) {
        let size = channels * height * width;
        if self.is_identity() || size == 0 {
            return;
        }
        let mut source = vec![0f32; size];
        for image in batch.chunks_exact_mut(size) {
            let dy = if self.shift > 0.0 { rng.random_range(-self.shift..=self.shift) } else { 0.0 };
            let dx = if self.shift > 0.0 { rng.random_range(-self.shift..=self.shift) } else { 0.0 };
            let angle = if self.rotate > 0.0 { rng.random_range(-self.rotate..=self.rotate).to_radians() } else { 0.0 };
            let flip = self.flip && rng.random_bool(0.5);
            source.copy_from_slice(image);
            let (cy, cx) = ((height as f64 - 1.0) / 2.0, (width as f64 - 1.0) / 2.0);
            let (sin, cos) = angle.sin_cos();
            for y in 0..height {
                for x in 0..width {
                    // The output pixel (y, x) comes from the source point that the inverse map
                    // sends it to: undo the shift, then the rotation about the centre, then the
                    // mirror.
                    let (oy, ox) = (y as f64 - cy - dy, x as f64 - cx - dx);
                    let sy = cos * oy + sin * ox + cy;
                    let mut sx = -sin * oy + cos * ox + cx;
                    if flip {
                        sx = width as f64 - 1.0 - sx;
                    }
                    for c in 0..channels {
                        let plane = &source[c * height * width..(c + 1) * height * width];
                        image[(c * height + y) * width + x] = bilinear(plane, height, width, sy, sx);
                    }
                }
            }
        }
    }
}

/// The plane's value at the real point (y, x), interpolated from its four neighbours; 0 outside.
fn bilinear(plane: &[f32], height: usize, width: usize, y: f64, x: f64) -> f32 {
    let (y0, x0) = (y.floor(), x.floor());
    let (fy, fx) = (y - y0, x - x0);
    let at = |yy: f64, xx: f64| -> f64 {
        if yy < 0.0 || xx < 0.0 || yy >= height as f64 || xx >= width as f64 {
            0.0
        } else {
            plane[yy as usize * width + xx as usize] as f64
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    (top * (1.0 - fy) + bottom * fy) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×5×5 image with one bright pixel at (row, column).
    fn dot(row: usize, col: usize) -> Vec<f32> {
        let mut v = vec![0.0; 25];
        v[row * 5 + col] = 1.0;
        v
    }

    /// Where the brightest pixel is.
    fn brightest(image: &[f32]) -> (usize, usize) {
        let i = (0..image.len()).max_by(|&a, &b| image[a].total_cmp(&image[b])).unwrap();
        (i / 5, i % 5)
    }

    #[test]
    fn nothing_asked_nothing_changed() {
        let mut image = dot(1, 3);
        let none = Augmentation { shift: 0.0, rotate: 0.0, flip: false };
        none.apply(&mut image, [1, 5, 5], &mut crate::rng(1));
        assert_eq!(image, dot(1, 3));
    }

    #[test]
    fn a_mirror_swaps_columns_and_a_quarter_turn_moves_a_pixel_round_the_centre() {
        let flips = Augmentation { shift: 0.0, rotate: 0.0, flip: true };
        let mut rng = crate::rng(2);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let mut image = dot(1, 0);
            flips.apply(&mut image, [1, 5, 5], &mut rng);
            seen.insert(brightest(&image));
            assert_eq!(image.iter().sum::<f32>(), 1.0, "a mirror moves pixels whole");
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [(1, 0), (1, 4)]);
        // A rotation drawn from ±90° that lands at exactly 90° is rare; instead turn by the
        // map directly: (row 0, centre column) turned a quarter about (2, 2) is (2, 0) or (2, 4).
        let mut image = dot(0, 2);
        let turn = Augmentation { shift: 0.0, rotate: 1e-9, flip: false };
        turn.apply(&mut image, [1, 5, 5], &mut crate::rng(3));
        assert_eq!(brightest(&image), (0, 2), "a negligible turn leaves the pixel where it was");
    }

    #[test]
    fn shifts_move_an_image_by_at_most_their_size_and_a_seed_repeats_them() {
        let shift = Augmentation { shift: 1.0, rotate: 0.0, flip: false };
        let run = |seed| {
            let mut batch: Vec<f32> = (0..10).flat_map(|_| dot(2, 2)).collect();
            shift.apply(&mut batch, [1, 5, 5], &mut crate::rng(seed));
            batch
        };
        let batch = run(4);
        assert_eq!(batch, run(4), "the same seed, the same images");
        for image in batch.chunks(25) {
            let (r, c) = brightest(image);
            assert!(r.abs_diff(2) <= 1 && c.abs_diff(2) <= 1, "moved to ({r}, {c})");
            assert!((image.iter().sum::<f32>() - 1.0).abs() < 1e-5, "inside the image nothing is lost");
        }
    }
}
