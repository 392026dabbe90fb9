use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The storage key (`avatars/{user_id}_{file name}`), never a URL.
    pub avatar: Option<String>,
    pub gender: Option<String>,
    pub date_of_birth: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub info: Option<String>,
    #[sea_orm(unique)]
    pub user_id: i32,
}

belongs_to_user!();
