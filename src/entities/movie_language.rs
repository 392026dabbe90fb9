use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movies_languages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::movie::Entity",
        from = "Column::MovieId",
        to = "super::movie::Column::Id",
        on_delete = "Cascade"
    )]
    Movie,
    #[sea_orm(
        belongs_to = "super::language::Entity",
        from = "Column::LanguageId",
        to = "super::language::Column::Id",
        on_delete = "Cascade"
    )]
    Language,
}

impl ActiveModelBehavior for ActiveModel {}
