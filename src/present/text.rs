//! Plain-text layout: derivation lines broken at their `=` signs for an 80-column terminal.

/// The width text output is laid out for.
pub const COLUMNS: usize = 80;

/// Breaks a derivation line longer than 80 columns at its ` = ` signs, each continuation
/// starting with `=` under the first one: the way a derivation is written on paper.
pub fn wrap(line: &str) -> String {
    if line.chars().count() <= COLUMNS {
        return line.to_string();
    }
    let parts: Vec<&str> = line.split(" = ").collect();
    if parts.len() < 3 {
        return line.to_string();
    }
    let indent = " ".repeat(parts[0].chars().count() + 1);
    let mut out = format!("{} = {}", parts[0], parts[1]);
    let mut current = out.chars().count();
    for part in &parts[2..] {
        let piece = format!(" = {part}");
        if current + piece.chars().count() > COLUMNS {
            out.push_str(&format!("\n{indent}= {part}"));
            current = indent.chars().count() + 2 + part.chars().count();
        } else {
            out.push_str(&piece);
            current += piece.chars().count();
        }
    }
    out
}
