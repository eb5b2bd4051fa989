//! The directory fields a source provides and a run changes: their keys in configuration
//! files and logs, and their names for people.

use std::fmt;

/// A directory field a source column can map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    ExternalId,
    Email,
    FirstName,
    LastName,
    Title,
    Department,
    ManagerId,
    Status,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::ExternalId,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Title,
        Field::Department,
        Field::ManagerId,
        Field::Status,
    ];
    /// A source must provide these columns, or nothing is loaded.
    pub const REQUIRED: [Field; 4] = [
        Field::ExternalId,
        Field::Email,
        Field::FirstName,
        Field::LastName,
    ];

    /// The name used in configuration files and in logs' "changed fields".
    pub const fn key(self) -> &'static str {
        match self {
            Field::ExternalId => "employee_id",
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Title => "title",
            Field::Department => "department",
            Field::ManagerId => "manager_id",
            Field::Status => "status",
        }
    }

    /// The name an admin reads in a message.
    pub fn label(self) -> &'static str {
        match self {
            Field::ExternalId => "Employee ID",
            Field::Email => "Email",
            Field::FirstName => "First Name",
            Field::LastName => "Last Name",
            Field::Title => "Job Title",
            Field::Department => "Department",
            Field::ManagerId => "Manager ID",
            Field::Status => "Status",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The fields a person may go without, which the directory stores as they come.
    pub const OPTIONAL: [Field; 3] = [Field::Title, Field::Department, Field::ManagerId];
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
