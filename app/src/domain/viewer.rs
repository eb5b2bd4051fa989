//! The signed-in person, as the pages need to know them.

use super::role::{Access, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub access: Access,
}

impl Viewer {
    pub fn can_use_provisioning(&self) -> bool {
        self.access.can_use_provisioning()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_access_rule() {
        let mut v = Viewer {
            user_id: 1,
            organisation_id: 1,
            organisation_name: "Acme".into(),
            email: "a@acme.example".into(),
            display_name: "A".into(),
            role: Role::PeopleAdmin,
            access: Access {
                organisation_enabled: true,
                role: Role::PeopleAdmin,
                enrolled_on_sync_service: true,
            },
        };
        assert!(v.can_use_provisioning());
        v.access.enrolled_on_sync_service = false;
        assert!(!v.can_use_provisioning());
    }
}
