//! An image folder: the input cut into files (at `--8<--`), each put in one of two class
//! subfolders, read with bad files skipped and refused. Any bytes give a dataset or an error.
#![no_main]

use backprop::data::folder::{BadImages, FolderOptions, load_image_folder};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|bytes: &[u8]| {
    let root = common::file("folder-marker", b"").with_file_name("folder");
    let _ = std::fs::remove_dir_all(&root);
    for (i, part) in common::parts(bytes).iter().enumerate().take(8) {
        let class = root.join(if i % 2 == 0 { "a" } else { "b" });
        std::fs::create_dir_all(&class).expect("a scratch folder");
        let name = if i % 3 == 0 { format!("{i}.jpg") } else { format!("{i}.png") };
        std::fs::write(class.join(name), part).expect("a scratch file");
    }
    for bad in [BadImages::Skip, BadImages::Refuse] {
        let options = FolderOptions { size: Some([8, 8]), shape: None, bad };
        let _ = load_image_folder(&root, options, None);
    }
});
