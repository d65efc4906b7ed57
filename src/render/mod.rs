//! Sinks that write sessions and findings to any `io::Write`. Colour is a property of the sink,
//! decided once from --color / NO_COLOR / the terminal.

pub mod exchanges;
pub mod explain;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod live;
pub mod mermaid;
pub mod prerender;
pub mod probe;
pub mod sink;
pub mod table;
pub mod timeline;

use owo_colors::OwoColorize;

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub absolute_time: bool,
}

impl Style {
    pub fn sev(&self, s: crate::model::Severity) -> String {
        use crate::model::Severity::*;
        let t = s.name();
        if !self.color {
            return t.to_string();
        }
        match s {
            Error => t.red().bold().to_string(),
            Warning => t.yellow().bold().to_string(),
            Info => t.cyan().to_string(),
        }
    }
    pub fn outcome(&self, o: crate::model::Outcome) -> String {
        use crate::model::Outcome::*;
        let t = o.name();
        if !self.color {
            return t.to_string();
        }
        match o {
            Booted => t.green().to_string(),
            Failed => t.red().bold().to_string(),
            Incomplete => t.yellow().to_string(),
            NotPxe => t.dimmed().to_string(),
        }
    }
    pub fn dim(&self, t: &str) -> String {
        if self.color {
            t.dimmed().to_string()
        } else {
            t.to_string()
        }
    }
    pub fn bold(&self, t: &str) -> String {
        if self.color {
            t.bold().to_string()
        } else {
            t.to_string()
        }
    }
}

pub fn frames_text(frames: &[crate::model::FrameRef], multi_input: bool) -> String {
    let v: Vec<String> = frames
        .iter()
        .map(|f| {
            if multi_input {
                format!("{}:{}", f.input, f.frame)
            } else {
                f.frame.to_string()
            }
        })
        .collect();
    if v.is_empty() {
        String::new()
    } else {
        format!("frames {}", v.join(", "))
    }
}

/// XML/HTML text escaping (JUnit and the HTML report); control characters become spaces.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}
