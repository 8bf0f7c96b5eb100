fn main() {
    println!("brief");
}
