//! Routing of new orders to stations. The rules are data (each station's coverage); this
//! module only says how they are applied: the most specific match wins.

use crate::ids::{StationId, VillageId};

/// One line of a station's coverage: a whole township, or one village in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageRule {
    /// The covering station.
    pub station_id: StationId,
    /// The township code.
    pub township: String,
    /// The village, or `None` for the whole township.
    pub village_id: Option<VillageId>,
}

/// Picks the station for an order placed in `township` (and `village`): a station covering the
/// village, else one covering the township, else the `fallback` (the banner-level centre).
/// Among equally specific rules the first in `rules` wins, so callers pass them in a stable order.
pub fn route(
    rules: &[CoverageRule],
    fallback: Option<StationId>,
    township: &str,
    village: Option<VillageId>,
) -> Option<StationId> {
    let by_village = village.and_then(|v| {
        rules
            .iter()
            .find(|r| r.village_id == Some(v) && r.township == township)
    });
    let by_township = || {
        rules
            .iter()
            .find(|r| r.village_id.is_none() && r.township == township)
    };
    by_village
        .or_else(by_township)
        .map(|r| r.station_id)
        .or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(station: StationId, township: &str, village: Option<VillageId>) -> CoverageRule {
        CoverageRule {
            station_id: station,
            township: township.to_owned(),
            village_id: village,
        }
    }

    #[test]
    fn village_beats_township_beats_fallback() {
        let (centre, town, village_station) =
            (StationId::new(), StationId::new(), StationId::new());
        let v = VillageId::new();
        let rules = vec![
            rule(town, "xini", None),
            rule(village_station, "xini", Some(v)),
        ];
        assert_eq!(
            route(&rules, Some(centre), "xini", Some(v)),
            Some(village_station)
        );
        assert_eq!(
            route(&rules, Some(centre), "xini", Some(VillageId::new())),
            Some(town)
        );
        assert_eq!(route(&rules, Some(centre), "xini", None), Some(town));
        assert_eq!(
            route(&rules, Some(centre), "balagong", Some(v)),
            Some(centre)
        );
        assert_eq!(route(&rules, None, "balagong", None), None);
    }

    #[test]
    fn first_rule_wins_among_equals() {
        let (a, b) = (StationId::new(), StationId::new());
        let rules = vec![rule(a, "xini", None), rule(b, "xini", None)];
        assert_eq!(route(&rules, None, "xini", None), Some(a));
    }
}
