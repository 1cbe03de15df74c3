//! The one HTML page shell: a heading, a line of introduction, and a drawing beside the text
//! derivation, self-contained (no scripts, no external files) so a page can be saved or mailed.

/// Text made safe inside HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page's type sizes: the derivation's font size and line height, and the heading's size
/// (the browser's own when `None`).
pub struct PageStyle {
    pub heading_px: Option<u32>,
    pub text_px: u32,
    pub line_height: &'static str,
}

/// A page titled `title`: `heading`, the introduction `intro` (HTML), then the drawing `svg`
/// beside the derivation `derivation` (plain text, escaped here).
pub fn page(title: &str, heading: &str, intro: &str, svg: &str, derivation: &str, style: PageStyle) -> String {
    let heading_css = style.heading_px.map_or(String::new(), |px| format!("h1 {{ font-size: {px}px; }}\n"));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 24px; color: #222; }}\n\
         {heading_css}\
         .page {{ display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }}\n\
         pre {{ background: #f7f7f4; padding: 12px; border-radius: 6px; font-size: {}px; line-height: {}; }}\n\
         </style>\n</head>\n<body>\n<h1>{heading}</h1>\n\
         <p>{intro}</p>\n\
         <div class=\"page\">\n<div>{svg}</div>\n<pre>{}</pre>\n</div>\n</body>\n</html>\n",
        style.text_px,
        style.line_height,
        escape(derivation)
    )
}
