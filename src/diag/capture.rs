//! Findings about the capture as a whole (damaged inputs, snaplen cuts, caps, kernel drops):
//! they belong to no single session.

use crate::model::*;
use crate::pipeline::Stats;
use crate::report::InputInfo;

/// Findings about the capture as a whole.
pub fn capture_findings(inputs: &[InputInfo], stats: &Stats) -> Vec<Finding> {
    let mut out = vec![];
    for i in inputs {
        if let Some(end) = &i.end {
            if !end.clean {
                out.push(super::finding(
                    "analysis-truncated",
                    vec![FrameRef {
                        input: i.index,
                        frame: end.frames,
                    }],
                    format!(
                        "{}: {}; analysed the {} frames before it",
                        i.path,
                        end.message.clone().unwrap_or_else(|| "damaged".into()),
                        end.frames
                    ),
                ));
            }
        }
    }
    if stats.snaplen_cut > 0 {
        let frames = stats
            .malformed_samples
            .iter()
            .filter(|m| m.cut_by_snaplen)
            .map(|m| FrameRef {
                input: m.input,
                frame: m.frame,
            })
            .take(10)
            .collect();
        out.push(super::finding("analysis-truncated", frames, format!("{} frames were cut short by the capture's snaplen; options and file contents may be missing", stats.snaplen_cut)));
    }
    if stats.sessions_capped > 0 {
        out.push(super::finding(
            "analysis-capped",
            vec![],
            format!(
                "{} new clients were not tracked: the session cap was reached",
                stats.sessions_capped
            ),
        ));
    }
    if stats.records_capped > 0 {
        out.push(super::finding("analysis-capped", vec![], format!("{} DHCP messages or TFTP transfers were not recorded: a client exceeded the per-session cap", stats.records_capped)));
    }
    out
}

/// A live capture whose kernel or interface dropped packets saw less than was sent.
pub fn kernel_drops(dropped: u64, if_dropped: u64) -> Option<Finding> {
    (dropped > 0 || if_dropped > 0).then(|| {
        super::finding(
            "analysis-truncated",
            vec![],
            format!(
                "the kernel dropped {dropped} packet(s) ({if_dropped} by the interface): the analysis may miss traffic"
            ),
        )
    })
}
