use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "movies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub date: Date,
    pub score: f64,
    #[sea_orm(column_type = "Text")]
    pub overview: String,
    pub status: String,
    #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
    pub budget: Decimal,
    pub revenue: f64,
    pub country_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::country::Entity",
        from = "Column::CountryId",
        to = "super::country::Column::Id",
        on_delete = "Cascade"
    )]
    Country,
}

impl Related<super::country::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Country.def()
    }
}

impl Related<super::genre::Entity> for Entity {
    fn to() -> RelationDef {
        super::movie_genre::Relation::Genre.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::movie_genre::Relation::Movie.def().rev())
    }
}

impl Related<super::actor::Entity> for Entity {
    fn to() -> RelationDef {
        super::actor_movie::Relation::Actor.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::actor_movie::Relation::Movie.def().rev())
    }
}

impl Related<super::language::Entity> for Entity {
    fn to() -> RelationDef {
        super::movie_language::Relation::Language.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::movie_language::Relation::Movie.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
