//! Event markers: grouping near-simultaneous events and placing their labels.

use super::EventMarker;

/// At most this many event groups get a text label (all get a line).
pub(crate) const MAX_LABELLED: usize = 8;
/// Events closer than this fraction of the time span share one line.
const MERGE_FRACTION: f64 = 0.01;
/// Maximum number of staggered label rows.
pub(crate) const MAX_LABEL_ROWS: usize = 3;
/// Horizontal gap between labels in the same row, in pixels.
const LABEL_GAP: i32 = 10;

/// One vertical line, possibly standing for several events.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EventGroup {
    pub time: f64,
    /// Joined labels ("Remission / Extinction"); empty when the group is not labelled.
    pub label: String,
}

/// Events inside `[x_lo, x_hi]`, sorted by time, near-duplicates merged.
pub(crate) fn group_events(events: &[EventMarker], x_lo: f64, x_hi: f64) -> Vec<EventGroup> {
    let tol = (x_hi - x_lo).abs() * MERGE_FRACTION;
    let mut inside: Vec<&EventMarker> = events
        .iter()
        .filter(|e| e.time.is_finite() && e.time >= x_lo - tol && e.time <= x_hi + tol)
        .collect();
    inside.sort_by(|a, b| a.time.total_cmp(&b.time));

    let mut groups: Vec<(f64, Vec<&str>)> = Vec::new();
    for e in inside {
        let label = e.label.trim();
        match groups.last_mut() {
            Some((t0, labels)) if e.time - *t0 <= tol => {
                if !label.is_empty() && !labels.contains(&label) {
                    labels.push(label);
                }
            }
            _ => groups.push((
                e.time,
                if label.is_empty() {
                    vec![]
                } else {
                    vec![label]
                },
            )),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, (t, labels))| EventGroup {
            time: t.clamp(x_lo, x_hi),
            label: if i < MAX_LABELLED {
                labels.join(" / ")
            } else {
                String::new()
            },
        })
        .collect()
}

/// Place labels of the given pixel `(centre_x, width)` in staggered rows within
/// `[min_x, max_x]`. Returns, per label, its left edge and row (0 = nearest the plot), or
/// `None` when it fits nowhere without overlapping (the event keeps its line, unlabelled);
/// and the number of rows used. A label may slide right of its centred position, but its line
/// must stay under its first three quarters, so it is not mistaken for a neighbour's label.
pub(crate) fn place_labels(
    items: &[(i32, i32)],
    min_x: i32,
    max_x: i32,
) -> (Vec<Option<(i32, usize)>>, usize) {
    let mut row_end: Vec<i32> = Vec::new();
    let mut placed = Vec::with_capacity(items.len());
    for &(centre, width) in items {
        let natural = (centre - width / 2).min(max_x - width).max(min_x);
        let fit = |end: i32| {
            let left = natural.max(end + LABEL_GAP);
            (left <= centre - width / 4 && left + width <= max_x).then_some(left)
        };
        let mut spot = row_end
            .iter()
            .enumerate()
            .find_map(|(r, &end)| fit(end).map(|left| (left, r)));
        if spot.is_none() && row_end.len() < MAX_LABEL_ROWS && natural + width <= max_x {
            row_end.push(i32::MIN / 2);
            spot = Some((natural, row_end.len() - 1));
        }
        if let Some((left, r)) = spot
            && let Some(end) = row_end.get_mut(r)
        {
            *end = left + width;
        }
        placed.push(spot);
    }
    let rows = row_end.len();
    (placed, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(time: f64, label: &str) -> EventMarker {
        EventMarker {
            time,
            label: label.to_string(),
        }
    }

    #[test]
    fn merges_close_events_and_drops_outside() {
        let evs = [
            ev(25.0, "Remission"),
            ev(0.0, "Infusion"),
            ev(25.5, "Extinction"),
            ev(25.2, "Remission"),
            ev(-50.0, "Before"),
            ev(f64::NAN, "Bad"),
            ev(100.5, "At end"),
        ];
        let g = group_events(&evs, 0.0, 100.0);
        assert_eq!(
            g,
            vec![
                EventGroup {
                    time: 0.0,
                    label: "Infusion".into()
                },
                EventGroup {
                    time: 25.0,
                    label: "Remission / Extinction".into()
                },
                EventGroup {
                    time: 100.0,
                    label: "At end".into()
                },
            ]
        );
    }

    #[test]
    fn many_events_do_not_crash_and_only_eight_are_labelled() {
        let evs: Vec<_> = (0..50).map(|i| ev(f64::from(i) * 2.0, "e")).collect();
        let g = group_events(&evs, 0.0, 100.0);
        assert_eq!(g.len(), 50);
        assert_eq!(
            g.iter().filter(|e| !e.label.is_empty()).count(),
            MAX_LABELLED
        );
        let items: Vec<_> = (0..50).map(|i| (i * 12, 40)).collect();
        let (placed, rows) = place_labels(&items, 0, 600);
        assert_eq!(placed.len(), 50);
        assert_eq!(rows, MAX_LABEL_ROWS);
        // the labels that were placed do not overlap within a row
        let mut spans: Vec<_> = placed.iter().flatten().map(|&(l, r)| (r, l)).collect();
        spans.sort_unstable();
        for w in spans.windows(2) {
            if w[0].0 == w[1].0 {
                assert!(w[1].1 >= w[0].1 + 40, "{w:?}");
            }
        }
        assert!(placed.iter().any(Option::is_none));
    }

    #[test]
    fn staggers_overlapping_labels() {
        let (placed, rows) = place_labels(&[(100, 80), (130, 80), (400, 50)], 0, 600);
        assert_eq!(rows, 2);
        assert_eq!(placed, vec![Some((60, 0)), Some((90, 1)), Some((375, 0))]);
        // clamped into the allowed span
        let (placed, _) = place_labels(&[(0, 80), (600, 80)], 0, 600);
        assert_eq!(placed, vec![Some((0, 0)), Some((520, 0))]);
        // slides right to avoid an overlap when that keeps it over its line, else a new row
        let (placed, rows) = place_labels(&[(100, 100), (190, 100), (230, 60)], 0, 600);
        assert_eq!(rows, 2);
        assert_eq!(placed, vec![Some((50, 0)), Some((160, 0)), Some((200, 1))]);
        // wider than the span: unlabelled
        let (placed, rows) = place_labels(&[(100, 700)], 0, 600);
        assert_eq!((placed, rows), (vec![None], 0));
    }
}
