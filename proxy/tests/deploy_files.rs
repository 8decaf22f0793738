//! The deployment files in `proxy/deploy/` stay usable: the replica
//! configuration is a valid `hashwall serve` configuration, the Kubernetes
//! ConfigMap carries exactly that file, and the manifests agree with it on
//! the API port. (The nginx file is run for real by `serve_replicas.rs`.)
#![allow(clippy::unwrap_used)]

use hashwall_proxy::serve::config::Config;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy");

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{DEPLOY}/{rel}"))
        .unwrap_or_else(|e| panic!("{DEPLOY}/{rel}: {e}"))
}

#[test]
fn the_replica_configuration_is_valid_and_api_only() {
    let config = Config::from_toml(&read("serve-api.toml"), None).unwrap();
    config.validate().unwrap();
    assert!(!config.proxy.enabled);
    assert!(config.api.enabled);
    assert!(
        config.api.token_file.is_some(),
        "beyond loopback a token file is required"
    );
    assert_eq!(config.api.listen.port(), 9129);
    assert_eq!(config.list.len(), 1);
}

#[test]
fn the_configmap_carries_the_replica_configuration_verbatim() {
    let map = read("kubernetes/configmap.yaml");
    let (_, block) = map.split_once("  serve.toml: |\n").unwrap();
    let embedded: String = block
        .lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        embedded,
        read("serve-api.toml"),
        "configmap.yaml differs from serve-api.toml"
    );
}

#[test]
fn the_manifests_agree_on_the_api_port_and_the_config_path() {
    let deployment = read("kubernetes/deployment.yaml");
    let service = read("kubernetes/service.yaml");
    let unit = read("systemd/hashwall.service");
    assert!(deployment.contains("containerPort: 9129"));
    assert!(deployment.contains("\"serve\", \"--config\", \"/etc/hashwall/serve.toml\""));
    assert!(service.contains("port: 9129") && service.contains("targetPort: api"));
    assert!(
        unit.contains("ExecStart=/usr/local/bin/hashwall serve --config /etc/hashwall/serve.toml")
    );
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"));
}
