//! The shape rules of the ops: what shape an op's output has, given its inputs' shapes. Each
//! panics naming the op and the shapes when they do not fit: such an error is a bug in the
//! model code, caught when the op is recorded.

use super::Shape;

/// The numpy broadcast of two shapes, or a panic naming the op and both shapes.
#[inline]
pub fn broadcast_shape(op: &str, a: Shape, b: Shape) -> Shape {
    if a == b || b.is_suffix_of(a) {
        return a;
    }
    if a.is_suffix_of(b) {
        return b;
    }
    Shape::broadcast(&a, &b).unwrap_or_else(|| panic!("{op}: shapes {a} and {b} do not broadcast"))
}

/// The shape a reduction over `axis` produces.
pub fn reduced_shape(shape: Shape, axis: usize, keepdim: bool) -> Shape {
    if keepdim { shape.with_dim(axis, 1) } else { shape.without_dim(axis) }
}

/// The shape with its last two axes swapped.
pub fn transposed_shape(s: Shape) -> Shape {
    assert!(s.rank() >= 2, "transpose needs at least 2 dimensions, the shape is {s}");
    let r = s.rank();
    s.with_dim(r - 2, s.dim(r - 1)).with_dim(r - 1, s.dim(r - 2))
}

/// The shape of `op(a)·op(b)`, where `op(x) = xᵀ` when its flag is set: 2-D operands, or 3-D
/// with one batch size. Panics naming both shapes when they do not fit.
pub fn matmul_shape(sa: Shape, trans_a: bool, sb: Shape, trans_b: bool) -> Shape {
    let fail = || -> ! {
        panic!(
            "matmul: shapes {sa}{} and {sb}{} do not fit",
            if trans_a { "ᵀ" } else { "" },
            if trans_b { "ᵀ" } else { "" }
        )
    };
    let r = sa.rank();
    if r != sb.rank() || !(2..=3).contains(&r) || (r == 3 && sa.dim(0) != sb.dim(0)) {
        fail();
    }
    let (ar, ac, br, bc) = (sa.dim(r - 2), sa.dim(r - 1), sb.dim(r - 2), sb.dim(r - 1));
    let (m, k) = if trans_a { (ac, ar) } else { (ar, ac) };
    let (k2, n) = if trans_b { (bc, br) } else { (br, bc) };
    if k != k2 {
        fail();
    }
    if r == 3 { Shape::new(&[sa.dim(0), m, n]) } else { Shape::new(&[m, n]) }
}

/// The shape of `x·Wᵀ + b`, or a panic naming the three shapes.
pub fn linear_shape(x: Shape, w: Shape, b: Shape) -> Shape {
    let y = matmul_shape(x, false, w, true);
    assert!(
        y.rank() == 2 && b.dims() == [y.dim(1)],
        "linear: input {x}, weight {w} and bias {b} do not fit (expected [rows, in], [out, in], [out])"
    );
    y
}

/// Checks that `classes` picks one valid column per row of a [rows, columns] tensor.
pub fn check_classes(op: &str, shape: Shape, classes: &[usize]) -> (usize, usize) {
    assert!(
        shape.rank() == 2 && shape.dim(0) == classes.len(),
        "{op}: {} class indices for a tensor of shape {shape}; expected [{}, classes]",
        classes.len(),
        classes.len()
    );
    let (rows, cols) = (shape.dim(0), shape.dim(1));
    if let Some(&bad) = classes.iter().find(|&&c| c >= cols) {
        panic!("{op}: class index {bad} is out of range for shape {shape} ({cols} classes)");
    }
    (rows, cols)
}
