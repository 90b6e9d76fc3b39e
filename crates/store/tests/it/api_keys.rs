use store::Error;

backends! {
    async fn a_created_api_key_verifies_until_it_is_revoked(store: Store) {
        assert_eq!(store.count_api_keys().await.unwrap(), 0);
        let (key, secret) = store.create_api_key("admin", None).await.unwrap();
        assert!(secret.starts_with("weft_") && secret.len() == 37, "{secret}");
        assert_eq!(key.prefix, &secret[..8]);
        assert_eq!(store.count_api_keys().await.unwrap(), 1);

        let verified = store.verify_api_key(&secret).await.unwrap().unwrap();
        assert_eq!(verified.id, key.id);
        assert!(store.verify_api_key("weft_wrong").await.unwrap().is_none());
        assert!(store.verify_api_key(&secret[..36]).await.unwrap().is_none());
        let listed = store.list_api_keys().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "admin");

        store.revoke_api_key(&key.prefix).await.unwrap();
        assert!(store.verify_api_key(&secret).await.unwrap().is_none());
        assert_eq!(store.count_api_keys().await.unwrap(), 1, "revoked keys still count");
        assert!(store.list_api_keys().await.unwrap()[0].revoked_at.is_some());
    }

    async fn a_given_secret_is_kept_a_short_one_refused_and_keys_are_revoked_by_id(store: Store) {
        let short = store.create_api_key("ops", Some("short")).await;
        assert!(matches!(short, Err(Error::Invalid { .. })), "{short:?}");
        let (key, secret) = store.create_api_key("ops", Some("a-long-operator-key-123")).await.unwrap();
        assert_eq!(secret, "a-long-operator-key-123");
        assert_eq!(store.verify_api_key(&secret).await.unwrap().unwrap().id, key.id);
        let twice = store.create_api_key("again", Some("a-long-operator-key-123")).await;
        assert!(matches!(twice, Err(Error::Conflict { .. })), "{twice:?}");

        let (_, other) = store.create_api_key("ci", None).await.unwrap();
        let (_, third) = store.create_api_key("cd", None).await.unwrap();
        let ambiguous = store.revoke_api_key("weft_").await;
        assert!(matches!(ambiguous, Err(Error::Conflict { .. }) | Err(Error::NotFound { .. })), "{ambiguous:?}");

        store.revoke_api_key(&key.id.to_string()).await.unwrap();
        assert!(store.verify_api_key(&secret).await.unwrap().is_none());
        assert!(store.verify_api_key(&other).await.unwrap().is_some());
        assert!(store.verify_api_key(&third).await.unwrap().is_some());
        let missing = store.revoke_api_key("nothing-like-it").await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    }
}
