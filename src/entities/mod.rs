//! SeaORM entities of the accounts, profiles and outbox tables (see `crate::migration`), shared by
//! the domain modules; business rules live in the domains, not here. The catalog's tables have no
//! entities: `movies::store` reads and writes them with benchmarked SQL of its own.

/// The relation of a table whose `user_id` references `users.id` (rows go with their user).
macro_rules! belongs_to_user {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {
            #[sea_orm(
                belongs_to = "super::user::Entity",
                from = "Column::UserId",
                to = "super::user::Column::Id",
                on_delete = "Cascade"
            )]
            User,
        }

        impl Related<super::user::Entity> for Entity {
            fn to() -> RelationDef {
                Relation::User.def()
            }
        }

        impl ActiveModelBehavior for ActiveModel {}
    };
}

/// The three token tables (activation, password reset, refresh) have one shape: a unique token,
/// its expiry and its user.
macro_rules! token_entity {
    ($table:literal) => {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            #[sea_orm(unique)]
            pub token: String,
            pub expires_at: DateTimeUtc,
            pub user_id: i32,
        }

        belongs_to_user!();
    };
}

pub mod activation_token;
pub mod email_outbox;
pub mod password_reset_token;
pub mod refresh_token;
pub mod user;
pub mod user_group;
pub mod user_profile;
