//! `#[derive(FromFields)]`: a request type declared once. Theater reads every request (JSON bodies,
//! forms, query strings, path parameters) field by field through `validation::Fields`, collecting
//! every failure in the order of the fields (FastAPI's order) instead of stopping at the first. The
//! derive writes that reading from the struct itself:
//!
//! - a field of type `Option<T>` is optional (absent or `null` is `None`);
//! - `#[field(default = EXPR)]` gives an absent field a default (query parameters such as `page`);
//! - `#[field(rename = "name")]` reads the field under another key;
//! - `#[field(keep_empty)]`: in a form, an empty value is still a value (forms otherwise treat it
//!   as absent, as FastAPI does);
//! - `#[field(file)]` reads a form's file part (the type implements `FromFile`);
//! - any other field is required.
//!
//! Each field's rules live in its type (`FromInput`); a type whose reading spans fields (a
//! cross-field rule) implements `FromFields` by hand. The generated code names
//! `crate::validation::{Fields, FromFields}`: the derive is for the `theater` crate itself.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Expr, Fields, LitStr, Type, parse_macro_input, spanned::Spanned};

#[proc_macro_derive(FromFields, attributes(field))]
pub fn derive_from_fields(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

enum Reading {
    Required,
    Optional,
    Default(Expr),
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "FromFields is derived for structs",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "FromFields needs named fields",
        ));
    };
    let mut reads = Vec::new();
    let mut builds = Vec::new();
    for field in &named.named {
        let Some(ident) = &field.ident else { continue };
        let mut key = ident.to_string();
        let mut reading = if is_option(&field.ty) {
            Reading::Optional
        } else {
            Reading::Required
        };
        let (mut keep_empty, mut file) = (false, false);
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("default") {
                    reading = Reading::Default(meta.value()?.parse()?);
                } else if meta.path.is_ident("rename") {
                    key = meta.value()?.parse::<LitStr>()?.value();
                } else if meta.path.is_ident("keep_empty") {
                    keep_empty = true;
                } else if meta.path.is_ident("file") {
                    file = true;
                } else {
                    return Err(meta.error(
                        "expected `default = EXPR`, `rename = \"key\"`, `keep_empty` or `file`",
                    ));
                }
                Ok(())
            })?;
        }
        let required = match (file, keep_empty) {
            (true, _) => quote! { file },
            (false, true) => quote! { required_keep_empty },
            (false, false) => quote! { required },
        };
        let optional = match (file, keep_empty) {
            (true, _) => quote! { optional_file },
            (false, true) => quote! { optional_keep_empty },
            (false, false) => quote! { optional },
        };
        let (read, build) = match reading {
            Reading::Required => (
                quote! { __fields.#required(#key) },
                quote! { #ident: #ident? },
            ),
            Reading::Optional => (quote! { __fields.#optional(#key) }, quote! { #ident }),
            Reading::Default(expr) => (
                quote! { __fields.with_default(#key, #expr) },
                quote! { #ident: #ident? },
            ),
        };
        reads.push(quote! { let #ident = #read; });
        builds.push(build);
    }
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics crate::validation::FromFields for #name #type_generics #where_clause {
            fn from_fields(__fields: &mut crate::validation::Fields) -> ::core::option::Option<Self> {
                // Every field is read before any failure stops the build, so one 422 lists them all.
                #(#reads)*
                ::core::option::Option::Some(Self { #(#builds),* })
            }
        }
    })
}

/// `Option<T>` (also spelled `std::option::Option<T>`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" && !s.arguments.is_empty()),
        _ => false,
    }
}
