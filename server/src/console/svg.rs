//! Charts and the site map as inline SVG, drawn on the server: no CDN, no chart library in the
//! browser, readable without script. Pure functions from numbers to markup; every text that
//! came from data is escaped.

use std::fmt::Write;

/// Escapes text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The CSS colour class of a four-colour grade.
fn grade_class(grade: &str) -> &'static str {
    match grade {
        "red" => "g-red",
        "orange" => "g-orange",
        "yellow" => "g-yellow",
        _ => "g-blue",
    }
}

/// Weekly found/closed bars: `weeks` are (label, found, closed), oldest first.
pub fn weekly_bars(weeks: &[(String, i64, i64)], found: &str, closed: &str) -> String {
    let (w, h, pad, axis) = (640.0, 220.0, 28.0, 24.0);
    let max = weeks
        .iter()
        .map(|(_, f, c)| (*f).max(*c))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (w - pad * 2.0) / weeks.len().max(1) as f64;
    let bar = (slot * 0.36).max(2.0);
    let scale = (h - pad - axis) / max;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><title>{}</title>"#,
        esc(&format!("{found} / {closed}")),
        esc(&format!("{found} / {closed}"))
    );
    let base = h - axis;
    let _ = write!(
        s,
        r#"<line x1="{pad}" y1="{base}" x2="{}" y2="{base}" class="axis"/>"#,
        w - pad
    );
    for (i, (label, f, c)) in weeks.iter().enumerate() {
        let x = pad + slot * i as f64 + slot * 0.12;
        let (fh, ch) = (*f as f64 * scale, *c as f64 * scale);
        let _ = write!(
            s,
            r#"<rect class="bar-found" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{fh:.1}"><title>{} {}: {f}</title></rect>"#,
            base - fh,
            esc(label),
            esc(found)
        );
        let _ = write!(
            s,
            r#"<rect class="bar-closed" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{ch:.1}"><title>{} {}: {c}</title></rect>"#,
            x + bar + 1.0,
            base - ch,
            esc(label),
            esc(closed)
        );
        if i % 2 == 0 || weeks.len() <= 6 {
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar,
                h - 8.0,
                esc(label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text class="tick" x="{pad}" y="{:.1}">{max}</text>"#,
        pad - 6.0
    );
    s.push_str("</svg>");
    s
}

/// Horizontal bars of sites per colour: (grade, label, count).
pub fn colour_bars(rows: &[(&str, String, u32)]) -> String {
    let (w, row_h) = (360.0, 30.0);
    let h = row_h * rows.len() as f64 + 8.0;
    let max = rows.iter().map(|r| r.2).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    let _ = write!(s, r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img">"#);
    for (i, (grade, label, n)) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let len = (w - 140.0) * f64::from(*n) / max;
        let _ = write!(
            s,
            r#"<text class="tick" x="0" y="{:.1}">{}</text><rect class="{}" x="80" y="{y:.1}" width="{len:.1}" height="{:.1}" rx="3"/><text class="tick" x="{:.1}" y="{:.1}">{n}</text>"#,
            y + row_h * 0.62,
            esc(label),
            grade_class(grade),
            row_h - 8.0,
            86.0 + len,
            y + row_h * 0.62
        );
    }
    s.push_str("</svg>");
    s
}

/// A site on the map.
#[derive(Debug, Clone)]
pub struct MapSite {
    pub id: String,
    pub name: String,
    pub grade: String,
    pub lat: f64,
    pub lon: f64,
}

/// Sites plotted by their coordinates (equirectangular, true to scale at the middle latitude),
/// coloured by grade. Each dot carries its coordinates so the page's script can draw 1/3/5 km
/// rings around a clicked point and list the sites inside them; the `data-km-per-px` of the
/// map says how far a pixel is.
pub fn site_map(sites: &[MapSite], empty: &str) -> String {
    let (w, h, pad) = (640.0_f64, 420.0_f64, 24.0_f64);
    if sites.is_empty() {
        return format!(r#"<p class="muted">{}</p>"#, esc(empty));
    }
    let lat0 = sites.iter().map(|s| s.lat).sum::<f64>() / sites.len() as f64;
    let kx = lat0.to_radians().cos().max(0.01);
    let xs: Vec<f64> = sites.iter().map(|s| s.lon * kx).collect();
    let ys: Vec<f64> = sites.iter().map(|s| s.lat).collect();
    let (min_x, max_x) = minmax(&xs);
    let (min_y, max_y) = minmax(&ys);
    // At least 2 km across, so a lone site or a tight cluster is not blown up.
    let span = (max_x - min_x).max(max_y - min_y).max(2.0 / 111.0);
    let scale = ((w - 2.0 * pad).min(h - 2.0 * pad)) / span;
    let cx = (min_x + max_x) / 2.0;
    let cy = (min_y + max_y) / 2.0;
    let km_per_px = 111.0 / scale;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="site-map" class="map" viewBox="0 0 {w} {h}" data-km-per-px="{km_per_px:.6}" data-lat0="{lat0:.6}" data-scale="{scale:.3}" data-cx="{cx:.8}" data-cy="{cy:.8}" role="img"><rect class="map-bg" x="0" y="0" width="{w}" height="{h}"/><g id="rings"></g>"#
    );
    for (site, (x, y)) in sites.iter().zip(xs.iter().zip(&ys)) {
        let px = w / 2.0 + (x - cx) * scale;
        let py = h / 2.0 - (y - cy) * scale;
        let _ = write!(
            s,
            r#"<a href="/console/sites/{}"><circle class="site {}" cx="{px:.1}" cy="{py:.1}" r="7" data-id="{}" data-name="{}" data-lat="{:.6}" data-lon="{:.6}"><title>{}</title></circle></a>"#,
            esc(&site.id),
            grade_class(&site.grade),
            esc(&site.id),
            esc(&site.name),
            site.lat,
            site.lon,
            esc(&site.name)
        );
    }
    // A 1 km scale bar.
    let bar = 1.0 / km_per_px;
    let _ = write!(
        s,
        r#"<line class="scale" x1="{pad}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text class="tick" x="{pad}" y="{:.1}">1 km</text></svg>"#,
        h - 14.0,
        pad + bar,
        h - 14.0,
        h - 20.0
    );
    s
}

fn minmax(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_escaped_and_charts_scale_to_the_largest_week() {
        let svg = weekly_bars(
            &[("11-24".into(), 4, 2), ("12-01".into(), 0, 1)],
            "found<",
            "closed",
        );
        assert!(svg.contains("found&lt;"), "{svg}");
        assert!(!svg.contains("found<"));
        assert!(
            svg.contains(r#"height="168.0""#),
            "the largest bar fills the plot: {svg}"
        );
        let map = site_map(
            &[MapSite {
                id: "s1".into(),
                name: "<script>".into(),
                grade: "red".into(),
                lat: 31.23,
                lon: 121.47,
            }],
            "none",
        );
        assert!(map.contains("&lt;script&gt;") && !map.contains("<script>"));
        assert!(map.contains("g-red"));
        assert_eq!(site_map(&[], "无"), r#"<p class="muted">无</p>"#);
    }
}
