//! Kernels: plain loops over contiguous row-major slices, by kind. Forward kernels overwrite
//! their output; the `acc_` kernels add into it. Shapes were checked by
//! [`crate::tensor::shape_rules`] when the op was recorded; kernels only read them.

mod elementwise;
mod loss;
mod reduce;

pub use elementwise::*;
pub use loss::*;
pub use reduce::*;

#[cfg(test)]
mod tests {
    use crate::tensor::{Shape, Tensor};

    fn t(data: &[f64], dims: &[usize]) -> Tensor<f64> {
        Tensor::from_f64(data, dims)
    }

    #[test]
    fn zip_broadcasts_a_row_and_a_column() {
        let col = t(&[1.0, 2.0], &[2, 1]);
        let row = t(&[10.0, 20.0, 30.0], &[3]);
        let s = col.add(&row);
        assert_eq!(s.dims(), &[2, 3]);
        assert_eq!(s.data(), &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    }

    #[test]
    fn sum_to_undoes_broadcasting() {
        let g = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(g.sum_to(Shape::new(&[3])).data(), &[5.0, 7.0, 9.0]);
        assert_eq!(g.sum_to(Shape::new(&[2, 1])).data(), &[6.0, 15.0]);
        assert_eq!(g.sum_to(Shape::scalar()).data(), &[21.0]);
    }

    #[test]
    fn softmax_is_stable_for_large_inputs() {
        let x = t(&[1000.0, 1000.0], &[1, 2]);
        assert_eq!(x.softmax(1).data(), &[0.5, 0.5]);
        assert!((x.log_softmax(1).data()[0] + std::f64::consts::LN_2).abs() < 1e-15);
    }

    #[test]
    fn argmax_takes_the_first_of_equal_maxima_along_either_axis() {
        let x = t(&[1.0, 3.0, 3.0, 0.0, 5.0, -1.0], &[2, 3]);
        assert_eq!(x.argmax(1), vec![1, 1]);
        assert_eq!(x.argmax(0), vec![0, 1, 0]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [3] and [4] do not broadcast")]
    fn shape_errors_name_the_op_and_both_shapes() {
        t(&[0.0; 3], &[3]).add(&t(&[0.0; 4], &[4]));
    }
}
