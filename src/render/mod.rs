//! Sinks that write sessions and findings to any `io::Write`. Colour is a property of the sink,
//! decided once from --color / NO_COLOR / the terminal.

pub mod exchanges;
pub mod html;
pub mod mermaid;
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
