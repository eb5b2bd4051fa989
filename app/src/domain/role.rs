//! Admin Panel roles and the rule that decides who may use User Provisioning.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    OrganisationAdmin,
    PeopleAdmin,
    SupportAdmin,
    GroupAdmin,
    ContentCreator,
    ContentModerator,
    BasicUser,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::OrganisationAdmin,
        Role::PeopleAdmin,
        Role::SupportAdmin,
        Role::GroupAdmin,
        Role::ContentCreator,
        Role::ContentModerator,
        Role::BasicUser,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Role::OrganisationAdmin => "Organisation Admin",
            Role::PeopleAdmin => "People Admin",
            Role::SupportAdmin => "Support Admin",
            Role::GroupAdmin => "Group Admin",
            Role::ContentCreator => "Content Creator",
            Role::ContentModerator => "Content Moderator",
            Role::BasicUser => "Basic User",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Role::OrganisationAdmin => "organisation_admin",
            Role::PeopleAdmin => "people_admin",
            Role::SupportAdmin => "support_admin",
            Role::GroupAdmin => "group_admin",
            Role::ContentCreator => "content_creator",
            Role::ContentModerator => "content_moderator",
            Role::BasicUser => "basic_user",
        }
    }

    /// Only these two roles may view sync history and download logs.
    pub fn may_use_provisioning(self) -> bool {
        matches!(self, Role::OrganisationAdmin | Role::PeopleAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role \"{0}\"")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.slug() == s)
            .ok_or_else(|| UnknownRole(s.chars().take(60).collect()))
    }
}

/// The three facts that together grant access to User Provisioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub organisation_enabled: bool,
    pub role: Role,
    pub enrolled_on_sync_service: bool,
}

impl Access {
    /// Viewing and downloading need all three conditions.
    pub fn can_use_provisioning(&self) -> bool {
        self.organisation_enabled
            && self.role.may_use_provisioning()
            && self.enrolled_on_sync_service
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.to_string().parse::<Role>(), Ok(r));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn permission_matrix() {
        for role in Role::ALL {
            for enabled in [true, false] {
                for enrolled in [true, false] {
                    let access = Access {
                        organisation_enabled: enabled,
                        role,
                        enrolled_on_sync_service: enrolled,
                    };
                    let expected = enabled
                        && enrolled
                        && matches!(role, Role::OrganisationAdmin | Role::PeopleAdmin);
                    assert_eq!(access.can_use_provisioning(), expected, "{access:?}");
                }
            }
        }
    }
}
