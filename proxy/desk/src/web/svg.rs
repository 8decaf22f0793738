//! A small server-side SVG renderer: stacked bar charts with axis, labels
//! and legend, readable without JavaScript. Every text is escaped here, so
//! the output can be embedded in a page as it is.

use std::fmt::Write as _;

/// One stacked component of every bar (a category, a source, an outcome).
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per bar, in label order (missing values count as 0).
    pub values: Vec<u64>,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 280;
const LEFT: u32 = 48;
const RIGHT: u32 = 16;
const TOP: u32 = 16;
const BOTTOM: u32 = 64;
const PALETTE: [&str; 6] = [
    "#1f5fa8", "#d9822b", "#2e8b57", "#a83232", "#6b4fa8", "#6b6b6b",
];

/// Escapes `s` for SVG/XML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A "nice" axis maximum ≥ `max`: five grid steps of 1, 2 or 5 times a
/// power of ten, so every grid line falls on a whole number.
fn nice_max(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m).saturating_mul(5);
            if candidate >= max {
                return candidate;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// A stacked bar chart: one bar per label, one colour per series.
/// `title` is the chart's accessible name (`<title>`).
pub fn bar_chart(title: &str, labels: &[String], series: &[Series]) -> String {
    let totals: Vec<u64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let top = nice_max(totals.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" font-family="sans-serif" font-size="11"><title>{t}</title>"#,
        h = HEIGHT + 24,
        t = escape(title)
    );
    // Grid and y-axis labels: five equal steps up to the axis maximum.
    for q in 0..=5u64 {
        let value = top * q / 5;
        let y = TOP + plot_h - (plot_h as u64 * q / 5) as u32;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end" fill="#333">{value}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6,
            ty = y + 4
        );
    }
    if labels.is_empty() {
        let _ = write!(
            out,
            r##"<text x="{x}" y="{y}" text-anchor="middle" fill="#333">no data</text>"##,
            x = LEFT + plot_w / 2,
            y = TOP + plot_h / 2
        );
    }
    let slot = plot_w / (labels.len().max(1) as u32);
    let bar_w = (slot * 7 / 10).max(1);
    // Show at most ~16 x labels; rotate them when they are crowded.
    let every = labels.len().div_ceil(16).max(1);
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + slot * i as u32 + (slot - bar_w) / 2;
        let mut y_base = TOP + plot_h;
        for (si, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = ((plot_h as u64 * v) / top).max(1) as u32;
            y_base = y_base.saturating_sub(h);
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y_base}" width="{bar_w}" height="{h}" fill="{c}"><title>{l}: {n} {v}</title></rect>"#,
                c = PALETTE[si % PALETTE.len()],
                l = escape(label),
                n = escape(&s.name)
            );
        }
        if i % every == 0 {
            let lx = x + bar_w / 2;
            let ly = TOP + plot_h + 14;
            let _ = write!(
                out,
                r##"<text x="{lx}" y="{ly}" text-anchor="end" transform="rotate(-35 {lx} {ly})" fill="#333">{l}</text>"##,
                l = escape(label)
            );
        }
    }
    // Legend along the bottom.
    let mut lx = LEFT;
    let ly = HEIGHT + 8;
    for (si, s) in series.iter().enumerate() {
        let _ = write!(
            out,
            r##"<rect x="{lx}" y="{ry}" width="10" height="10" fill="{c}"/><text x="{tx}" y="{ly}" fill="#333">{n}</text>"##,
            ry = ly - 9,
            c = PALETTE[si % PALETTE.len()],
            tx = lx + 14,
            n = escape(&s.name)
        );
        lx += 24 + 7 * s.name.chars().count() as u32;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_text() {
        let svg = bar_chart(
            "<script>",
            &["a&b".to_string()],
            &[Series {
                name: "\"x\"".to_string(),
                values: vec![3],
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b"));
        assert!(svg.contains("&quot;x&quot;"));
    }

    #[test]
    fn bars_are_stacked_and_scaled() {
        let labels = vec!["d1".to_string(), "d2".to_string()];
        let series = [
            Series {
                name: "csam".into(),
                values: vec![2, 0],
            },
            Series {
                name: "terrorism".into(),
                values: vec![3, 5],
            },
        ];
        let svg = bar_chart("t", &labels, &series);
        // Axis top is 5, plot height 200: 2 → 80 px, 3 → 120 px, 5 → 200 px.
        assert!(svg.contains(r##"height="80" fill="#1f5fa8""##), "{svg}");
        assert!(svg.contains(r##"height="120" fill="#d9822b""##), "{svg}");
        assert!(svg.contains(r##"height="200" fill="#d9822b""##), "{svg}");
        assert_eq!(
            svg.matches("<rect").count(),
            3 + 2,
            "three bars, two legend keys"
        );
    }

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(0), 5);
        assert_eq!(nice_max(4), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 25);
        assert_eq!(nice_max(26), 50);
        assert_eq!(nice_max(51), 100);
    }
}
