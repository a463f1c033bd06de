//! The names behind the codes and ids an order carries (themes, townships, villages,
//! target groups, stations, departments, teams), in the page's language where the reference
//! data has one, loaded once per page from the reference service.

use std::collections::HashMap;
use uuid::Uuid;

use super::i18n::Lang;
use crate::error::ApiResult;
use crate::service::reference;
use crate::state::AppState;
use crate::web::{Choice, Lists, load_lists};

/// A department or team to choose in a form.
#[derive(Debug)]
pub struct Named {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
}

/// Reference names for one page.
pub struct Names {
    /// Themes, townships, villages and target groups, as the resident form lists them.
    pub lists: Lists,
    /// Departments by name.
    pub departments: Vec<Named>,
    stations: HashMap<Uuid, String>,
    teams: HashMap<Uuid, String>,
}

fn find<'a>(choices: &'a [Choice], code: &str) -> Option<&'a str> {
    choices
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.name.as_str())
}

impl Names {
    /// Loads every list in `lang`.
    pub async fn load(state: &AppState, lang: Lang) -> ApiResult<Self> {
        let lists = load_lists(state, lang).await?;
        let mut departments: Vec<Named> = reference::departments(&state.db)
            .await?
            .into_iter()
            .map(|d| Named {
                id: d.id,
                name: match (lang, d.name_en) {
                    (Lang::En, Some(en)) if !en.is_empty() => en,
                    _ => d.name,
                },
            })
            .collect();
        departments.sort_by(|a, b| a.name.cmp(&b.name));
        let stations = reference::stations(&state.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let teams = reference::teams(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        Ok(Self {
            lists,
            departments,
            stations,
            teams,
        })
    }

    /// A theme's name (its code when unknown).
    pub fn theme(&self, code: &str) -> String {
        find(&self.lists.themes, code).unwrap_or(code).to_owned()
    }

    /// A township's name, with the village's when given.
    pub fn place(&self, township: &str, village: Option<Uuid>) -> String {
        let town = find(&self.lists.townships, township).unwrap_or(township);
        let village = village.and_then(|v| {
            let id = v.to_string();
            self.lists
                .villages
                .iter()
                .flat_map(|g| g.villages.iter())
                .find(|c| c.code == id)
                .map(|c| c.name.clone())
        });
        match village {
            Some(v) => format!("{town} · {v}"),
            None => town.to_owned(),
        }
    }

    /// A target group's name.
    pub fn group(&self, code: &str) -> String {
        find(&self.lists.groups, code).unwrap_or(code).to_owned()
    }

    /// A station's name.
    pub fn station(&self, id: Uuid) -> String {
        self.stations.get(&id).cloned().unwrap_or_default()
    }

    /// A department's name.
    pub fn department(&self, id: Uuid) -> String {
        self.departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    }

    /// A team's name.
    pub fn team(&self, id: Uuid) -> String {
        self.teams.get(&id).cloned().unwrap_or_default()
    }
}
