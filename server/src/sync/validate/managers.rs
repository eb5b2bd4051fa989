//! One rule for managers, checked once the whole source is read: a Manager ID applies
//! only when it names another person in the source and the links make no loop.

use super::Validator;
use crate::sync::person::Text;
use hashbrown::HashSet;
use std::hash::BuildHasher;

impl Validator {
    /// For sources that name managers by email (Google Workspace): each manager email
    /// becomes that person's Employee ID where the source has them.
    pub fn resolve_managers(
        &mut self,
        employee_id_by_email: &std::collections::HashMap<String, String>,
    ) {
        for p in &mut self.loaded.people {
            if let Some(m) = &p.manager_id {
                if let Some(id) = employee_id_by_email.get(m.to_lowercase().as_str()) {
                    p.manager_id = Some(Text::from(id.as_str()));
                }
            }
        }
    }

    /// One rule for managers: a Manager ID is applied only when it names another person
    /// in the source and the links do not go round in a loop. A link that fails is not
    /// applied (the person keeps the manager the directory holds) and the log says why.
    /// A link to a person whose own record was skipped is applied: that person stays in
    /// the directory.
    pub(super) fn check_managers(&mut self) {
        let skipped_ids: HashSet<String> = self
            .loaded
            .protected_ids()
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut manager_of: Vec<Option<u32>> = vec![None; self.loaded.people.len()];
        let mut not_applied = Vec::new();
        let mut unresolved = Vec::new();
        for (i, p) in self.loaded.people.iter().enumerate() {
            let Some(m) = &p.manager_id else { continue };
            if *m == p.external_id {
                not_applied.push((i, format!("Manager ID {m} is the person's own Employee ID, so it was not applied (the person keeps their current manager, if any).")));
                continue;
            }
            if skipped_ids.contains(m.as_str()) {
                continue;
            }
            let hash = self.hasher.hash_one(m.as_str());
            match self
                .by_id
                .find(hash, |&j| self.loaded.people[j as usize].external_id == m)
            {
                Some(&j) => manager_of[i] = Some(j),
                None => unresolved.push((i, m.clone())),
            }
        }
        for &(i, _) in &unresolved {
            self.loaded.people[i].manager_id = None;
        }
        self.loaded.unresolved_managers = unresolved;
        for (i, text) in not_applied {
            self.loaded.people[i].manager_id = None;
            self.loaded.note(i, text, true);
        }
        for cycle in manager_loops(&manager_of) {
            let people = &self.loaded.people;
            let first = &people[cycle[0] as usize];
            let chain: Vec<&str> = cycle
                .iter()
                .chain(&cycle[..1])
                .map(|&i| people[i as usize].external_id.as_str())
                .collect();
            let places: Vec<String> = cycle
                .iter()
                .map(|&i| people[i as usize].record.to_string())
                .collect();
            let report = format!(
                "The Manager IDs of {} people form a loop: {} (each arrow points to that person's manager; {}). None of these managers was applied: each person keeps their current manager, if any.",
                cycle.len(),
                chain.join(" → "),
                places.join(", ")
            );
            let pointer = format!(
                "Its Manager ID was not applied: it is part of the manager loop reported at {}.",
                first.record
            );
            for (k, &i) in cycle.iter().enumerate() {
                self.loaded.people[i as usize].manager_id = None;
                match k {
                    0 => self.loaded.note(i as usize, report.clone(), true),
                    _ => self.loaded.note(i as usize, pointer.clone(), false),
                }
            }
        }
    }
}

/// Every loop in the "is managed by" links (each person has at most one manager), each
/// listed once, starting from its member that comes first in the source. Linear: each
/// person is walked once.
pub(super) fn manager_loops(manager_of: &[Option<u32>]) -> Vec<Vec<u32>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        Not,
        OnPath,
        Done,
    }
    let mut seen = vec![Seen::Not; manager_of.len()];
    let mut path: Vec<u32> = Vec::new();
    let mut loops = Vec::new();
    for start in 0..manager_of.len() {
        let mut at = Some(start as u32);
        while let Some(i) = at {
            match seen[i as usize] {
                Seen::Not => {
                    seen[i as usize] = Seen::OnPath;
                    path.push(i);
                    at = manager_of[i as usize];
                }
                Seen::OnPath => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    let lowest = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                    cycle.rotate_left(lowest);
                    loops.push(cycle);
                    break;
                }
                Seen::Done => break,
            }
        }
        for &i in &path {
            seen[i as usize] = Seen::Done;
        }
        path.clear();
    }
    loops.sort();
    loops
}
