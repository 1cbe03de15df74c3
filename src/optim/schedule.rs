//! Learning-rate schedules, as a function of training progress measured in epochs (fractional
//! within an epoch, so warm-up and cosine move smoothly step by step).

use serde::{Deserialize, Serialize};

/// How the learning rate changes after any warm-up. [`ScheduleKind`] names the variants (for
/// the command line, which picks the parameters with [`Schedule::for_run`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(rename_all = "kebab-case")]
#[strum_discriminants(
    name(ScheduleKind),
    derive(Hash, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter),
    serde(rename_all = "kebab-case"),
    strum(serialize_all = "kebab-case")
)]
#[cfg_attr(feature = "cli", strum_discriminants(derive(clap::ValueEnum)))]
pub enum Schedule {
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        every: f64,
        gamma: f64,
    },
    /// Multiply by `gamma` every epoch.
    Exponential {
        gamma: f64,
    },
    /// Half a cosine from the base rate down to `min_lr` over `epochs` epochs.
    Cosine {
        epochs: f64,
        min_lr: f64,
    },
}

impl Schedule {
    /// The schedule of `kind` for a run of `epochs` epochs after `warmup` warm-up epochs: step
    /// multiplies by 0.1 every third of the run, exponential by 0.9 every epoch, cosine decays
    /// to 0 over the epochs after the warm-up.
    pub fn for_run(kind: ScheduleKind, epochs: f64, warmup: f64) -> Schedule {
        match kind {
            ScheduleKind::Constant => Schedule::Constant,
            ScheduleKind::Step => Schedule::Step { every: (epochs / 3.0).max(1.0), gamma: 0.1 },
            ScheduleKind::Exponential => Schedule::Exponential { gamma: 0.9 },
            ScheduleKind::Cosine => Schedule::Cosine { epochs: (epochs - warmup).max(1.0), min_lr: 0.0 },
        }
    }

    /// The name of its kind (`cosine`).
    pub fn name(&self) -> &'static str {
        ScheduleKind::from(self).into()
    }
}

/// A base learning rate, an optional linear warm-up and a schedule after it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    pub base: f64,
    pub schedule: Schedule,
    /// Epochs of linear warm-up from base/… to base (0 for none).
    pub warmup: f64,
}

impl LrSchedule {
    pub fn constant(base: f64) -> LrSchedule {
        LrSchedule { base, schedule: Schedule::Constant, warmup: 0.0 }
    }

    /// The learning rate at `epoch` (0-based, fractional).
    pub fn at(&self, epoch: f64) -> f64 {
        if epoch < self.warmup {
            // Linear warm-up, reaching the base rate as warm-up ends.
            return self.base * (epoch + 1e-3).min(self.warmup) / self.warmup;
        }
        let t = epoch - self.warmup;
        match self.schedule {
            Schedule::Constant => self.base,
            Schedule::Step { every, gamma } => self.base * gamma.powf((t / every).floor()),
            Schedule::Exponential { gamma } => self.base * gamma.powf(t.floor()),
            Schedule::Cosine { epochs, min_lr } => {
                let progress = (t / epochs).clamp(0.0, 1.0);
                min_lr + (self.base - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn schedules_follow_their_definitions() {
        let step = LrSchedule { base: 0.1, schedule: Schedule::Step { every: 2.0, gamma: 0.5 }, warmup: 0.0 };
        assert!(
            close(step.at(0.0), 0.1)
                && close(step.at(1.9), 0.1)
                && close(step.at(2.0), 0.05)
                && close(step.at(4.5), 0.025)
        );
        let exp = LrSchedule { base: 1.0, schedule: Schedule::Exponential { gamma: 0.9 }, warmup: 0.0 };
        assert!(close(exp.at(0.5), 1.0) && close(exp.at(3.0), 0.729));
        let cos = LrSchedule { base: 1.0, schedule: Schedule::Cosine { epochs: 10.0, min_lr: 0.0 }, warmup: 0.0 };
        assert!(
            close(cos.at(0.0), 1.0) && close(cos.at(5.0), 0.5) && close(cos.at(10.0), 0.0) && close(cos.at(12.0), 0.0)
        );
        assert!(close(LrSchedule::constant(0.3).at(7.0), 0.3));
    }

    #[test]
    fn warm_up_rises_linearly_then_hands_over() {
        let s = LrSchedule { base: 1.0, schedule: Schedule::Cosine { epochs: 4.0, min_lr: 0.0 }, warmup: 2.0 };
        assert!(s.at(0.0) < 0.01);
        assert!((s.at(1.0) - 0.5).abs() < 1e-3);
        assert!(close(s.at(2.0), 1.0));
        assert!(close(s.at(4.0), 0.5));
    }
}
